"""Schemathesis hooks for the fuzz test: a logged-in session for the routes behind a login.

Loaded by the schemathesis CLI (SCHEMATHESIS_HOOKS names this file, see
workbook/fuzz.py), not imported by the workbook. Without it every operation that
reads the session cookie answers only 401, and the fuzzer never reaches its code.

The provider signs up a user of its own and logs in, the way a learner's client
does (POST /api/v1/users, then POST /api/v1/session/login), and sends the cookie
to the operations that declare it; from chapter 15 on, a second provider gets a
bearer token (POST /api/v1/auth/token) for the operations that ask for one. An
app without those routes gets no login: those operations are still fuzzed,
logged out.

It also narrows what the schema cannot state exactly: an email address
(`_deliverable`), a password's 72 bytes and an item name of whitespace only (`map_body`).
"""

from __future__ import annotations

import os
import secrets
from typing import Any

import httpx
import schemathesis
from email_validator import EmailNotValidError, validate_email
from hypothesis import strategies as st

URL_VARIABLE = "WORKBOOK_FUZZ_URL"
SIGN_UP = "/api/v1/users"
LOGIN = "/api/v1/session/login"
COOKIE = "session_id"
LOGOUT = "/api/v1/session/logout"
AnyCase = schemathesis.Case[Any]


def _reads_the_session_cookie(ctx: Any) -> bool:
    operation = ctx.operation
    if operation.path.endswith(LOGOUT):  # it would end the session every other request uses
        return False
    for parameter in operation.iter_parameters():
        location = getattr(parameter.location, "value", parameter.location)
        if location == "cookie" and parameter.name == COOKIE:
            return True
    return False


@schemathesis.auth().apply_to(_reads_the_session_cookie)
class SessionLogin:
    """A session cookie of a user created for the run; a new one after a 401 (the fuzzer may
    delete the user or log the session out)."""

    def get(self, case: AnyCase, ctx: schemathesis.AuthContext) -> str | None:
        base = os.environ[URL_VARIABLE]
        email = f"fuzz-{secrets.token_hex(4)}@example.com"
        password = "fuzz-password-1"
        with httpx.Client(base_url=base, timeout=10) as http:
            user = {"name": "Fuzz", "email": email, "password": password}
            created = http.post(SIGN_UP, json=user)
            if created.status_code != 201:
                return None
            login = http.post(LOGIN, json={"email": email, "password": password})
            return login.cookies.get(COOKIE) if login.status_code == 200 else None

    def set(
        self,
        case: AnyCase,
        data: str | None,
        ctx: schemathesis.AuthContext,
    ) -> None:
        if data is None:  # the sign-up or the login failed: the case goes out logged out
            return
        case.cookies = {**(case.cookies or {}), COOKIE: data}


TOKEN = "/api/v1/auth/token"  # chapter 15: the OAuth2 password form gives a bearer token


def _bearer_scopes(ctx: Any) -> list[str] | None:
    """The scopes the operation's security entry lists for the bearer scheme (chapter 17);
    None when it asks for no bearer token."""
    security = ctx.operation.definition.raw.get("security") or []
    found = [requirement for requirement in security if "OAuth2PasswordBearer" in requirement]
    if not found:
        return None
    return [scope for requirement in found for scope in requirement["OAuth2PasswordBearer"]]


ADMIN_SCOPE = "admin"  # chapter 17: such operations need an admin's token with this scope


# Chapter 17: a user record answers only its user (or an admin). A token of any user would
# meet a 403 for nearly every generated id, and the route's code would never be fuzzed.
USER_RECORD = "/users/{user_id}"
USER_ID = "user_id"
MAX_ID = 2**31 - 1  # the API's bound on ids (chapter 05); other values are left to the 422


def _names_a_user_record(ctx: Any) -> bool:
    scopes = _bearer_scopes(ctx)
    path = str(ctx.operation.path)
    return scopes is not None and ADMIN_SCOPE not in scopes and path.endswith(USER_RECORD)


# Chapter 16: an item is changed or deleted by its owner only. A user of the fuzzer owns no
# item, and the generated ids name the seeded ones (nobody's: a 403) or none: with /api/v2
# (chapter 23) doubling the operations, PATCH and DELETE /items/{item_id} met only 403s and
# 404s. OwnItemLogin gives them a user who owns one item, and names that item.
ITEM_RECORD = "/items/{item_id}"
ITEM_ID = "item_id"
ITEMS = "/api/v1/items"


def _names_an_own_item(ctx: Any) -> bool:
    scopes = _bearer_scopes(ctx)
    path = str(ctx.operation.path)
    return scopes is not None and ADMIN_SCOPE not in scopes and path.endswith(ITEM_RECORD)


def _needs_a_bearer_token(ctx: Any) -> bool:
    scopes = _bearer_scopes(ctx)
    return (
        scopes is not None
        and ADMIN_SCOPE not in scopes
        and not _names_a_user_record(ctx)
        and not _names_an_own_item(ctx)
    )


def _needs_an_admin_token(ctx: Any) -> bool:
    scopes = _bearer_scopes(ctx)
    return scopes is not None and ADMIN_SCOPE in scopes


@schemathesis.auth().apply_to(_needs_a_bearer_token)
class BearerLogin:
    """An access token of a user created for the run, for the operations whose OpenAPI
    entry asks for the bearer scheme; a new one after a 401."""

    def get(self, case: AnyCase, ctx: schemathesis.AuthContext) -> str | None:
        base = os.environ[URL_VARIABLE]
        email = f"fuzz-{secrets.token_hex(4)}@example.com"
        password = "fuzz-password-1"
        with httpx.Client(base_url=base, timeout=10) as http:
            created = http.post(
                SIGN_UP, json={"name": "Fuzz", "email": email, "password": password}
            )
            if created.status_code != 201:
                return None
            # No scope asked: the app grants a user's scopes (chapter 17), every scope the
            # operations of this provider list. One token serves them all (schemathesis
            # keeps it), so it cannot ask for one operation's scopes.
            token = http.post(TOKEN, data={"username": email, "password": password})
            return str(token.json()["access_token"]) if token.status_code == 200 else None

    def set(self, case: AnyCase, data: str | None, ctx: schemathesis.AuthContext) -> None:
        if data is not None:
            case.headers["Authorization"] = f"Bearer {data}"


def _sign_up_and_log_in(http: httpx.Client) -> tuple[str, int] | None:
    """A new user's access token and id; None when the sign-up or the login failed."""
    email = f"fuzz-{secrets.token_hex(4)}@example.com"
    password = "fuzz-password-1"
    created = http.post(SIGN_UP, json={"name": "Fuzz", "email": email, "password": password})
    if created.status_code != 201:
        return None
    token = http.post(TOKEN, data={"username": email, "password": password})
    if token.status_code != 200:
        return None
    return str(token.json()["access_token"]), int(created.json()["id"])


@schemathesis.auth().apply_to(_names_a_user_record)
class OwnRecordLogin:
    """A user of this provider's own, for GET, PUT, PATCH and DELETE /users/{user_id}: each
    case gets that user's token and names that user's id (an id in range: the others still
    meet the 422). A DELETE deletes this user only, never the one of BearerLogin, whose
    token the other operations share; the next case's 401 makes schemathesis fetch a new
    user (an auth provider refetches after a 401)."""

    def get(self, case: AnyCase, ctx: schemathesis.AuthContext) -> tuple[str, int] | None:
        with httpx.Client(base_url=os.environ[URL_VARIABLE], timeout=10) as http:
            return _sign_up_and_log_in(http)

    def set(
        self, case: AnyCase, data: tuple[str, int] | None, ctx: schemathesis.AuthContext
    ) -> None:
        if data is None:
            return
        token, user_id = data
        case.headers["Authorization"] = f"Bearer {token}"
        generated = case.path_parameters.get(USER_ID)
        if (
            isinstance(generated, int)
            and not isinstance(generated, bool)
            and 0 < generated <= MAX_ID
        ):
            case.path_parameters[USER_ID] = user_id


@schemathesis.auth().apply_to(_names_an_own_item)
class OwnItemLogin:
    """A user of this provider's own and an item they own, for PATCH and DELETE
    /items/{item_id} (both versions): each case gets that user's token and names that item
    (an id in range: the others still meet the 422). After a DELETE the item is gone, and
    the next cases meet the 404 of a missing item, which is code reached too."""

    def get(self, case: AnyCase, ctx: schemathesis.AuthContext) -> tuple[str, int] | None:
        with httpx.Client(base_url=os.environ[URL_VARIABLE], timeout=10) as http:
            login = _sign_up_and_log_in(http)
            if login is None:
                return None
            token = login[0]
            made = http.post(
                ITEMS,
                json={"name": "Fuzz item", "price": 1.0},
                headers={"Authorization": f"Bearer {token}"},
            )
            return (token, int(made.json()["id"])) if made.status_code == 201 else None

    def set(
        self, case: AnyCase, data: tuple[str, int] | None, ctx: schemathesis.AuthContext
    ) -> None:
        if data is None:
            return
        token, item_id = data
        case.headers["Authorization"] = f"Bearer {token}"
        generated = case.path_parameters.get(ITEM_ID)
        if (
            isinstance(generated, int)
            and not isinstance(generated, bool)
            and 0 < generated <= MAX_ID
        ):
            case.path_parameters[ITEM_ID] = item_id


# The admin the fuzzed app makes at startup from FIRST_ADMIN_EMAIL and FIRST_ADMIN_PASSWORD
# (chapter 17; tests/workbook/test_fuzz_latest_checkpoint.py sets both): nobody can sign up
# as one.
ADMIN_EMAIL = "FIRST_ADMIN_EMAIL"
ADMIN_PASSWORD = "FIRST_ADMIN_PASSWORD"


@schemathesis.auth().apply_to(_needs_an_admin_token)
class AdminLogin:
    """A token of the app's first admin, asking for the scopes the operation lists."""

    def get(self, case: AnyCase, ctx: schemathesis.AuthContext) -> str | None:
        email, password = os.environ.get(ADMIN_EMAIL), os.environ.get(ADMIN_PASSWORD)
        if not email or not password:
            return None
        form = {
            "username": email,
            "password": password,
            "scope": " ".join(_bearer_scopes(ctx) or []),
        }
        with httpx.Client(base_url=os.environ[URL_VARIABLE], timeout=10) as http:
            token = http.post(TOKEN, data=form)
            return str(token.json()["access_token"]) if token.status_code == 200 else None

    def set(self, case: AnyCase, data: str | None, ctx: schemathesis.AuthContext) -> None:
        if data is not None:
            case.headers["Authorization"] = f"Bearer {data}"


# bcrypt reads at most 72 bytes of a password; JSON Schema's maxLength counts characters,
# and no keyword counts bytes. The schema says so in the field's description, and the app
# refuses more with a 422 (chapter 06): the fuzzer sends passwords within that rule, or
# every 72-character non-ASCII password would count as a schema-valid request refused.
PASSWORD_BYTES = 72


# An item's name is stripped before its length is checked (chapter 07: a name of spaces is
# as empty as ""), and Python's str.strip() removes Unicode spaces (U+00A0, U+3000) that
# minLength counts as characters; no keyword says "not only whitespace" in the same terms
# (a pattern's \s is ECMA's, not Python's). A whitespace-only name keeps its length and gets
# a visible character for each space, or it would count as a schema-valid request refused.
# (Chapter 22's fuzz run was the first whose generation reached PATCH /items with one.)
# Chapter 23's /api/v2/items call the same bounded field `title`.
VISIBLE = "x"
STRIPPED_NAMES = ("name", "title")


@schemathesis.hook
def map_body(ctx: Any, body: Any) -> Any:
    if isinstance(body, dict) and isinstance(body.get("password"), str):
        cut = body["password"].encode()[:PASSWORD_BYTES]
        body["password"] = cut.decode(errors="ignore")
    for field in STRIPPED_NAMES:
        if isinstance(body, dict) and isinstance(body.get(field), str):
            if body[field] and not body[field].strip():
                body[field] = VISIBLE * len(body[field])
    return body


# A form has no null: the OAuth2 form's optional grant_type ("password" or null in its schema,
# chapter 15) sent as null goes out as the text "null", which no form parser reads as null.
# Left out is what null means. before_call, not map_body: it sees the cases of every phase
# (chapter 23's second token route was the first whose coverage phase sent one).
FORM_NULLS = ("grant_type",)


@schemathesis.hook
def before_call(ctx: Any, case: Any, **kwargs: Any) -> None:
    body = case.body
    if case.media_type == "application/x-www-form-urlencoded" and isinstance(body, dict):
        for name in FORM_NULLS:
            if name in body and body[name] is None:
                del body[name]


def _deliverable(address: str) -> bool:
    """Whether Pydantic's EmailStr takes the address: email-validator, as Pydantic calls it."""
    try:
        validate_email(address, check_deliverability=False)
    except EmailNotValidError:
        return False
    return True


# `format: email` allows any RFC 5321 address; EmailStr also refuses special-use domains
# (name@host.test, @localhost), by design, which no OpenAPI keyword can say. Without this,
# every such address would count as a schema-valid request the app refused. The addresses
# are built as schemathesis builds its own (ASCII, a dot-atom local part) on ordinary
# top-level domains, and checked by the app's own validator.
_LOCAL = st.text("abcdefghijklmnopqrstuvwxyz0123456789!#$%&'*+/=?^_`{|}~-", min_size=1, max_size=10)
_LABEL = st.text("abcdefghijklmnopqrstuvwxyz0123456789", min_size=1, max_size=8)
_DOMAIN = st.builds(
    lambda labels, top: ".".join([*labels, top]),
    st.lists(_LABEL, min_size=1, max_size=2),
    st.sampled_from(["com", "org", "net", "io", "de"]),
)
schemathesis.openapi.format(
    "email", st.builds("{}@{}".format, _LOCAL, _DOMAIN).filter(_deliverable)
)
