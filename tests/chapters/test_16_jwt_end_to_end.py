"""Chapter 16: bcrypt-hashed passwords, signed JWTs (sub, iat, exp), logins that enumerate nobody.

The hasher and the token functions are tested alone; the routes through HTTP, with
tokens from POST /auth/token or made by the app's own create_access_token (so a
broken login does not hide a working get_current_user), and forged ones made here
with python-jose: another key, alg none, HS512, expired, malformed.
"""

from __future__ import annotations

import base64
import json
import os
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from conftest import bearer, body, import_app_module, refused, stored_value, unique, why
from fastapi.testclient import TestClient
from sqlalchemy import Engine, text

from workbook.server import LiveServer

TOKEN = "/api/v1/auth/token"
ME = "/api/v1/users/me"
USERS = "/api/v1/users"
STATUS = "/api/v1/system/status"
PASSWORDS = "app/core/passwords.py"
SECURITY = "app/core/security.py"
JWT = "app/core/jwt_tokens.py"
DEPS = "app/api/deps.py"
ALICE = {"username": "alice@example.com", "password": "alice-secret-1"}


def settings() -> Any:
    return import_app_module("app.core.config").settings


def secret_key() -> str:
    """settings.SECRET_KEY as text: a str up to chapter 20, a SecretStr from chapter 21 on."""
    key = settings().SECRET_KEY
    return str(key.get_secret_value() if hasattr(key, "get_secret_value") else key)


def jwt_module() -> Any:
    found = import_app_module("app.core.jwt_tokens")
    for name in ("create_access_token", "decode_access_token"):
        if not hasattr(found, name):
            pytest.fail(f"{JWT} defines no {name}: run the chapter's %%app cells")
    return found


def passwords_module() -> Any:
    found = import_app_module("app.core.passwords")
    for name in ("pwd_context", "hash_password", "verify_password", "DUMMY_HASH"):
        if not hasattr(found, name):
            pytest.fail(f"{PASSWORDS} defines no {name}: run the chapter's %%app cells")
    return found


def sign_up(client: TestClient) -> dict[str, Any]:
    user = {"name": "Jot", "email": f"{unique('jot')}@example.com", "password": "jot-secret-12"}
    r = client.post(USERS, json=user)
    assert r.status_code == 201, f"POST {USERS} answered {why(r)}"
    return {**user, "id": r.json()["id"]}


def b64(part: dict[str, Any]) -> str:
    return base64.urlsafe_b64encode(json.dumps(part).encode()).rstrip(b"=").decode()


def claims_for(user_id: int, *, seconds: int = 600) -> dict[str, Any]:
    now = int(time.time())
    return {"sub": str(user_id), "iat": now, "exp": now + seconds}


def forged(kind: str) -> str:
    """A token for Alice (id 1) that the app must refuse, made the way an attacker would."""
    from jose import jwt

    key = secret_key()
    if kind == "expired":
        return str(jwt.encode(claims_for(1, seconds=-60), key, algorithm="HS256"))
    if kind == "another key":
        return str(jwt.encode(claims_for(1), "CHANGE_ME", algorithm="HS256"))
    if kind == "alg none":
        return f"{b64({'alg': 'none', 'typ': 'JWT'})}.{b64(claims_for(1))}."
    if kind == "HS512, right key":
        return str(jwt.encode(claims_for(1), key, algorithm="HS512"))
    if kind == "no sub":
        return str(jwt.encode({"exp": int(time.time()) + 600}, key, algorithm="HS256"))
    if kind == "sub not an id":
        return str(jwt.encode({**claims_for(1), "sub": "alice"}, key, algorithm="HS256"))
    if kind == "no exp":
        return str(jwt.encode({"sub": "1"}, key, algorithm="HS256"))
    return {"malformed": "not.a.jwt", "garbage": "garbage", "huge": "x" * 20_000}[kind]


FORGED = [
    "expired",
    "another key",
    "alg none",
    "HS512, right key",
    "no sub",
    "sub not an id",
    "malformed",
    "garbage",
    "huge",
]

# --- passwords ---------------------------------------------------------------------------


def test_sign_up_stores_a_bcrypt_hash_with_the_configured_rounds(
    client: TestClient, own_engine: Engine
) -> None:
    user = sign_up(client)
    stored = str(
        stored_value(own_engine, "SELECT password FROM users WHERE id = :id", id=user["id"])
    )
    rounds = settings().BCRYPT_ROUNDS
    assert stored != user["password"] and stored.startswith("$2b$"), (
        f"users.password holds {stored[:12]!r}...: store hash_password(password), a bcrypt hash "
        f"(app/services/users.py)"
    )
    assert stored.startswith(f"$2b${rounds:02d}$"), (
        f"the hash {stored[:7]!r} is not of settings.BCRYPT_ROUNDS={rounds}: "
        f"CryptContext(..., bcrypt__rounds=settings.BCRYPT_ROUNDS) ({PASSWORDS})"
    )
    seeded = str(stored_value(own_engine, "SELECT password FROM users WHERE id = 1"))
    assert seeded.startswith("$2b$"), (
        f"the seeded Alice's password is stored as {seeded[:12]!r}: hash it (app/db/init_db.py)"
    )


def test_hashes_are_salted_and_verify(client: TestClient) -> None:
    passwords = passwords_module()
    first, second = passwords.hash_password("s3cret-pass"), passwords.hash_password("s3cret-pass")
    assert first != second, f"two hashes of one password are equal: bcrypt salts each ({PASSWORDS})"
    assert passwords.verify_password("s3cret-pass", first), f"verify_password refused ({PASSWORDS})"
    assert not passwords.verify_password("other-pass", first), (
        f"verify_password accepted a wrong password ({PASSWORDS})"
    )
    assert passwords.verify_password("s3cret-pass", "s3cret-pass") is False, (
        f"verify_password took a plain stored value as a hash: answer False ({PASSWORDS})"
    )


def test_no_response_carries_a_hash(client: TestClient) -> None:
    user = sign_up(client)
    token = client.post(TOKEN, data={"username": user["email"], "password": user["password"]})
    for r in (client.get(USERS, params={"size": 100}), client.get(f"{USERS}/{user['id']}"), token):
        assert "$2b$" not in r.text and user["password"] not in r.text, (
            f"GET {r.request.url.path} shows a password or its hash: answer UserOut"
        )


def test_a_password_over_72_bytes_is_a_422_at_sign_up(client: TestClient) -> None:
    user = {"name": "Long", "email": f"{unique('long')}@example.com", "password": "é" * 40}
    r = client.post(USERS, json=user)
    assert r.status_code == 422, (
        f"POST {USERS} with an 80-byte password answered {why(r)}: bcrypt takes 72 bytes at "
        f"most; refuse more (app/schemas/user.py, chapter 06)"
    )


def test_plain_passwords_of_an_old_database_are_hashed_at_startup(
    client: TestClient, own_engine: Engine
) -> None:
    email = f"{unique('old')}@example.com"
    with own_engine.begin() as connection:
        connection.execute(
            text(
                "INSERT INTO users (name, email, password, role, is_active) "
                "VALUES ('Old', :email, 'old-plain-1', 'user', :yes)"
            ),
            {"email": email, "yes": True},
        )
    migrate = import_app_module("app.db.migrate")
    session = import_app_module("app.db.session")

    async def run() -> int:
        async with session.SessionLocal() as db:
            return int(await migrate.hash_plain_passwords(db))

    count = client.portal.call(run)
    stored = str(stored_value(own_engine, "SELECT password FROM users WHERE email = :e", e=email))
    assert count >= 1 and stored.startswith("$2b$"), (
        f"after hash_plain_passwords the old user's password is {stored[:8]!r}: hash every "
        f"value that is no hash (app/db/migrate.py)"
    )
    r = client.post(TOKEN, data={"username": email, "password": "old-plain-1"})
    assert r.status_code == 200, f"the old user's login answered {why(r)} after the migration"


# --- 16.1: logging in without telling which emails exist -----------------------------------


@pytest.mark.exercise("16.1")
def test_login_checks_the_password_against_the_hash(client: TestClient) -> None:
    r = client.post(TOKEN, data=ALICE)
    assert r.status_code == 200, (
        f"POST {TOKEN} with Alice's right password answered {why(r)}: the users table holds a "
        f"hash now; check with password_matches(password, user.password) ({SECURITY})"
    )
    user = sign_up(client)
    r = client.post(TOKEN, data={"username": user["email"], "password": user["password"]})
    assert r.status_code == 200, f"a new user's login answered {why(r)} ({SECURITY})"


@pytest.mark.exercise("16.1")
@pytest.mark.parametrize(
    "form",
    [
        {"username": "alice@example.com", "password": "wrong-password"},
        {"username": "nobody@example.com", "password": "wrong-password"},
    ],
    ids=["wrong-password", "unknown-email"],
)
def test_a_failed_login_answers_alike(client: TestClient, form: dict[str, str]) -> None:
    r = client.post(TOKEN, data=form)
    refused(r, f"POST {TOKEN} with {form}", SECURITY)
    assert body(r)["error"]["message"] == "Invalid email or password", (
        f"POST {TOKEN} with {form} says {body(r)['error']['message']!r}: one message for both, "
        f'"Invalid email or password"'
    )


@pytest.fixture
def verifies(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[str]]:
    """The hashes pwd_context.verify was asked about during the test (a spy, not a patch of
    the cost: the real verify still runs)."""
    context = passwords_module().pwd_context
    calls: list[str] = []
    real = context.verify

    def spy(secret: str, hashed: str, *args: Any, **kwargs: Any) -> bool:
        calls.append(hashed)
        return bool(real(secret, hashed, *args, **kwargs))

    monkeypatch.setattr(context, "verify", spy)
    yield calls


@pytest.mark.exercise("16.1")
def test_an_unknown_email_costs_a_bcrypt_verify_too(
    client: TestClient, verifies: list[str]
) -> None:
    client.post(TOKEN, data={"username": "alice@example.com", "password": "wrong-password"})
    wrong_password = len(verifies)
    verifies.clear()
    client.post(TOKEN, data={"username": f"{unique('nobody')}@example.com", "password": "x"})
    assert wrong_password == 1 and len(verifies) == 1, (
        f"a wrong password ran {wrong_password} bcrypt verify and an unknown email "
        f"{len(verifies)}: an unknown email must cost one too, against DUMMY_HASH, or its "
        f"faster answer tells which emails have an account ({SECURITY})"
    )
    assert verifies == [passwords_module().DUMMY_HASH], (
        f"the unknown email was verified against {verifies[0][:10]!r}...: use DUMMY_HASH, a "
        f"hash of the app's cost ({SECURITY})"
    )


# --- 16.2: the access token ------------------------------------------------------------------


@pytest.fixture
def far_from_utc(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """The process's local time zone at UTC+14: naive local datetimes are 14 hours off."""
    monkeypatch.setenv("TZ", "Pacific/Kiritimati")
    time.tzset()
    yield
    monkeypatch.undo()
    time.tzset()


@pytest.mark.exercise("16.2")
def test_an_access_token_carries_sub_iat_and_exp_in_utc(far_from_utc: None) -> None:
    from jose import jwt

    token = jwt_module().create_access_token(7)
    header, claims = jwt.get_unverified_header(token), jwt.get_unverified_claims(token)
    assert header.get("alg") == settings().JWT_ALGORITHM, (
        f"the token's header says alg {header.get('alg')!r}: sign with "
        f"algorithm=settings.JWT_ALGORITHM ({JWT})"
    )
    assert claims.get("sub") == "7", (
        f"the token's sub is {claims.get('sub')!r}: the user id as a string, str(user_id) ({JWT})"
    )
    iat, exp = claims.get("iat"), claims.get("exp")
    assert isinstance(iat, int) and abs(iat - time.time()) < 60, (
        f"the token's iat is {iat!r}, {iat - time.time() if isinstance(iat, int) else '?'} s from "
        f"now on a machine at UTC+14: the time now in aware UTC, datetime.now(UTC), never a "
        f"naive datetime.now() or datetime.utcnow() ({JWT})"
    )
    lifetime = settings().ACCESS_TOKEN_SECONDS
    assert isinstance(exp, int) and exp - iat == lifetime, (
        f"the token's exp is {exp!r}, iat {iat!r}: exp is iat + settings.ACCESS_TOKEN_SECONDS "
        f"({lifetime} s), in seconds, not milliseconds ({JWT})"
    )
    assert jwt_module().decode_access_token(token) == 7, (
        f"decode_access_token(a fresh token for 7) answered "
        f"{jwt_module().decode_access_token(token)!r}, not 7 ({JWT})"
    )


@pytest.mark.exercise("16.2")
def test_two_logins_get_two_tokens() -> None:
    tokens = {jwt_module().create_access_token(7) for _ in range(3)}
    assert len(tokens) == 3, (
        f"three tokens for one user in one second are {len(tokens)} different: add a random "
        f'"jti" claim, secrets.token_urlsafe(8) ({JWT})'
    )


@pytest.mark.exercise("16.2")
def test_a_token_expires(far_from_utc: None) -> None:
    module = jwt_module()
    lifetime = settings().ACCESS_TOKEN_SECONDS
    issued = datetime.now(UTC) - timedelta(seconds=lifetime - 30)
    assert module.decode_access_token(module.create_access_token(7, now=issued)) == 7, (
        f"a token with 30 s left was refused: exp is now + settings.ACCESS_TOKEN_SECONDS ({JWT})"
    )
    issued = datetime.now(UTC) - timedelta(seconds=lifetime + 30)
    old = module.create_access_token(7, now=issued)
    assert module.decode_access_token(old) is None, (
        f"decode_access_token accepted a token that expired 30 s ago: keep jose's exp check "
        f"(no options that turn it off), and exp in seconds ({JWT})"
    )


@pytest.mark.exercise("16.2")
@pytest.mark.parametrize("kind", FORGED)
def test_decode_refuses_a_forged_token(kind: str) -> None:
    token = forged(kind)
    try:
        found = jwt_module().decode_access_token(token)
    except Exception as error:  # the learner's code: any error is theirs to see
        pytest.fail(
            f"decode_access_token(a token: {kind}) raised {type(error).__name__}: catch "
            f"JWTError and answer None ({JWT})"
        )
    advice = {
        "HS512, right key": "name the one algorithm: algorithms=[settings.JWT_ALGORITHM]",
        "alg none": "name the one algorithm: algorithms=[settings.JWT_ALGORITHM]",
        "expired": "keep jose's exp check",
        "no exp": "require exp: options={'require_exp': True}",
    }.get(kind, "answer None for anything that is not a valid token")
    assert found is None, (
        f"decode_access_token(a token: {kind}) answered {found!r}, not None: {advice} ({JWT})"
    )


# --- 16.3: the current user of a JWT -------------------------------------------------------


@pytest.mark.exercise("16.3")
def test_me_answers_the_user_of_a_login_token(client: TestClient) -> None:
    r = client.get(ME, headers=bearer(jwt_module().create_access_token(1)))
    assert r.status_code == 200 and body(r).get("email") == ALICE["username"], (
        f"GET {ME} with a JWT for Alice answered {why(r)}: decode_access_token(token), then "
        f"the user with that id ({DEPS})"
    )
    login = client.post(TOKEN, data=ALICE)
    assert login.status_code == 200, f"POST {TOKEN} as Alice answered {why(login)}"
    r = client.get(ME, headers=bearer(login.json()["access_token"]))
    assert r.status_code == 200 and body(r).get("email") == ALICE["username"], (
        f"GET {ME} with the token of POST {TOKEN} answered {why(r)} ({DEPS})"
    )


@pytest.mark.exercise("16.3")
@pytest.mark.parametrize("kind", FORGED)
def test_me_refuses_a_forged_token(client: TestClient, kind: str) -> None:
    refused(client.get(ME, headers=bearer(forged(kind))), f"GET {ME} with a token: {kind}", DEPS)


@pytest.mark.exercise("16.3")
def test_me_without_a_token_is_401(client: TestClient) -> None:
    refused(client.get(ME), f"GET {ME} without a token", DEPS)
    refused(client.get(STATUS), f"GET {STATUS} without a token", DEPS)


@pytest.mark.exercise("16.3")
def test_the_token_of_a_deleted_user_is_401(client: TestClient) -> None:
    user = sign_up(client)
    token = jwt_module().create_access_token(user["id"])
    r = client.get(ME, headers=bearer(token))
    assert r.status_code == 200, f"GET {ME} with a new user's token answered {why(r)} ({DEPS})"
    # The user's own token deletes them: from chapter 17 on, only they (or an admin) may.
    gone = client.delete(f"{USERS}/{user['id']}", headers=bearer(token))
    assert gone.status_code == 204, f"DELETE {USERS}/{{id}} answered {why(gone)}"
    refused(client.get(ME, headers=bearer(token)), f"GET {ME} for a deleted user", DEPS)


@pytest.mark.exercise("16.3")
def test_the_token_of_a_deactivated_user_is_401(client: TestClient, own_engine: Engine) -> None:
    user = sign_up(client)
    token = jwt_module().create_access_token(user["id"])
    with own_engine.begin() as connection:
        connection.execute(
            text("UPDATE users SET is_active = :no WHERE id = :id"), {"no": False, "id": user["id"]}
        )
    refused(client.get(ME, headers=bearer(token)), f"GET {ME} for a deactivated user", DEPS)
    form = {"username": user["email"], "password": user["password"]}
    refused(client.post(TOKEN, data=form), f"POST {TOKEN} for a deactivated user", DEPS)


@pytest.mark.exercise("16.3")
def test_system_routes_take_the_jwt(client: TestClient) -> None:
    r = client.get(STATUS, headers=bearer(jwt_module().create_access_token(1)))
    assert r.status_code == 200, f"GET {STATUS} with a JWT answered {why(r)} ({DEPS})"


def test_the_secret_key_is_not_a_guess() -> None:
    key = secret_key()
    assert len(key) >= 32 and key not in {"CHANGE_ME", "secret"}, (
        "settings.SECRET_KEY is short or guessable: SECRET_KEY from the environment, else "
        "secrets.token_urlsafe(32) (app/core/config.py)"
    )
    assert key not in repr(settings()), "repr(settings) shows the key: field(repr=False)"


# --- 16.4: items have an owner ----------------------------------------------------------

ITEMS = "/api/v1/items"
ITEM_SERVICE = "app/services/items.py"
ITEM_ROUTES = "app/api/v1/routes/items.py"


def token_of(user_id: int) -> dict[str, str]:
    """A token made by the app's create_access_token, not by a login: a broken login
    (exercise 16.1) does not hide a working ownership check."""
    return bearer(jwt_module().create_access_token(user_id))


def new_item(client: TestClient, headers: dict[str, str]) -> dict[str, Any]:
    r = client.post(
        ITEMS, json={"name": unique("Lamp"), "price": 12, "owner_id": 1}, headers=headers
    )
    assert r.status_code == 201, (
        f"POST {ITEMS} with a token answered {why(r)}: user: CurrentUser in create_item "
        f"({ITEM_ROUTES})"
    )
    return dict(r.json())


def test_creating_an_item_needs_a_token_and_makes_the_caller_its_owner(
    client: TestClient, own_engine: Engine
) -> None:
    refused(client.post(ITEMS, json={"name": "Lamp", "price": 12}), f"POST {ITEMS}", ITEM_ROUTES)
    user = sign_up(client)
    item = new_item(client, token_of(user["id"]))
    owner = stored_value(own_engine, "SELECT owner_id FROM items WHERE id = :id", id=item["id"])
    assert owner == user["id"], (
        f"an item created by user {user['id']} (the body said owner_id 1) stores owner_id "
        f"{owner!r}: set item.owner_id = owner.id from the token, never from the body "
        f"({ITEM_SERVICE})"
    )


@pytest.mark.exercise("16.4")
def test_only_the_owner_changes_or_deletes_an_item(client: TestClient, own_engine: Engine) -> None:
    owner, other = sign_up(client), sign_up(client)  # one name for both: ids decide
    mine, theirs = token_of(owner["id"]), token_of(other["id"])
    item = new_item(client, mine)
    path = f"{ITEMS}/{item['id']}"
    for method, kwargs in (("PATCH", {"json": {"price": 1}}), ("DELETE", {})):
        r = client.request(method, path, headers=theirs, **kwargs)
        assert r.status_code == 403 and body(r).get("error", {}).get("code") == "forbidden", (
            f"{method} {ITEMS}/{{id}} by another user answered {why(r)}, not 403 forbidden: "
            f"ensure_owner raises NotAllowed, which answers 403 ({ITEM_SERVICE})"
        )
    price = stored_value(own_engine, "SELECT price FROM items WHERE id = :id", id=item["id"])
    assert price == 12, (
        f"another user's refused PATCH changed the price to {price} ({ITEM_SERVICE})"
    )
    r = client.patch(path, json={"price": 10}, headers=mine)
    assert r.status_code == 200 and body(r).get("price") == 10, (
        f"PATCH {ITEMS}/{{id}} by its owner answered {why(r)} ({ITEM_SERVICE})"
    )
    r = client.delete(path, headers=mine)
    assert r.status_code == 204, f"DELETE {ITEMS}/{{id}} by its owner answered {why(r)}"
    assert client.get(path).status_code == 404, f"GET {path} after its DELETE is not a 404"


@pytest.mark.exercise("16.4")
@pytest.mark.until(16, "chapter 17: an admin (token_of(1) is the seeded admin) changes any item")
def test_an_item_with_no_owner_is_nobodys_to_change(client: TestClient) -> None:
    r = client.patch(f"{ITEMS}/1", json={"price": 1}, headers=token_of(1))
    assert r.status_code == 403, (
        f"PATCH {ITEMS}/1 (a seeded item, owner_id None) answered {why(r)}, not 403: an item "
        f"with no owner is nobody's ({ITEM_SERVICE})"
    )


@pytest.mark.exercise("16.4")
def test_a_missing_item_is_404_whoever_asks(client: TestClient) -> None:
    headers = token_of(1)
    for method in ("GET", "PATCH", "DELETE"):
        kwargs: dict[str, Any] = {"json": {"price": 1}} if method == "PATCH" else {}
        r = client.request(method, f"{ITEMS}/2000000000", headers=headers, **kwargs)
        assert r.status_code == 404, (
            f"{method} {ITEMS}/2000000000 (no such item) answered {why(r)}, not 404: get() "
            f"raises NotFound before ensure_owner ({ITEM_SERVICE})"
        )


def test_changing_an_item_needs_a_token_and_a_valid_body(client: TestClient) -> None:
    item = new_item(client, token_of(1))
    path = f"{ITEMS}/{item['id']}"
    refused(client.patch(path, json={"price": 1}), f"PATCH {path} without a token", ITEM_ROUTES)
    refused(client.delete(path), f"DELETE {path} without a token", ITEM_ROUTES)
    for bad in ({"price": -1}, {"price": None}, {"name": ""}, {"tags": ["x"] * 21}):
        r = client.patch(path, json=bad, headers=token_of(1))
        assert r.status_code == 422, f"PATCH {path} with {bad} answered {why(r)}, not 422"
    for bad_id in ("0", "abc", str(2**31)):
        r = client.get(f"{ITEMS}/{bad_id}")
        assert r.status_code == 422, f"GET {ITEMS}/{bad_id} answered {why(r)}, not 422"


def test_an_old_items_table_gets_its_owner_column(tmp_path: Any) -> None:
    from sqlalchemy import create_engine, inspect

    migrate = import_app_module("app.db.migrate")
    engine = create_engine(f"sqlite:///{tmp_path / 'old.db'}")
    with engine.begin() as connection:
        connection.execute(text("CREATE TABLE items (id INTEGER PRIMARY KEY, name TEXT)"))
        connection.execute(text("INSERT INTO items (name) VALUES ('old')"))
    with engine.begin() as connection:
        added = migrate.add_owner_column(connection)
        again = migrate.add_owner_column(connection)
        columns = {c["name"] for c in inspect(connection).get_columns("items")}
    engine.dispose()
    assert added and not again and "owner_id" in columns, (
        f"add_owner_column on an items table of chapter 15 answered {added}, then {again}; "
        f"columns {sorted(columns)}: add owner_id once (app/db/migrate.py)"
    )


# --- for real -----------------------------------------------------------------------------


@pytest.mark.slow
def test_jwt_login_over_real_http(live_server: LiveServer) -> None:
    r = live_server.post(TOKEN, data=ALICE)
    assert r.status_code == 200, f"under uvicorn, POST {TOKEN} answered {why(r)} ({SECURITY})"
    token = r.json()["access_token"]
    assert token.count(".") == 2, f"under uvicorn, the token {token[:20]!r}... is no JWT"
    me = live_server.get(ME, headers=bearer(token))
    assert me.status_code == 200 and me.json().get("email") == ALICE["username"], (
        f"under uvicorn, GET {ME} with the token answered {why(me)} ({DEPS})"
    )
    refused(live_server.get(ME, headers=bearer(forged("alg none"))), "alg none, live", DEPS)
    secret = f"never-logged-{unique('pw')}"
    user = {"name": "Logged", "email": f"{unique('logged')}@example.com", "password": secret}
    assert live_server.post(USERS, json=user).status_code == 201, "under uvicorn, a sign-up failed"
    live_server.post(TOKEN, data={"username": user["email"], "password": secret})
    live_server.post(TOKEN, data={"username": user["email"], "password": secret + "-wrong"})
    assert secret not in live_server.log(), (
        "the server log holds a password of a sign-up or a login: log neither the body nor "
        "the form (app/core/middleware.py, app/core/security.py)"
    )
    assert os.environ.get("BCRYPT_ROUNDS"), "the check sets BCRYPT_ROUNDS for its servers"
