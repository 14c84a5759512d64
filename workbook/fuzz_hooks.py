"""Schemathesis hooks for the fuzz test: a logged-in session for the routes behind a login.

Loaded by the schemathesis CLI (SCHEMATHESIS_HOOKS names this file, see
workbook/fuzz.py), not imported by the workbook. Without it every operation that
reads the session cookie answers only 401, and the fuzzer never reaches its code.

The provider signs up a user of its own and logs in, the way a learner's client
does (POST /api/v1/users, then POST /api/v1/session/login), and sends the cookie
to the operations that declare it. An app without those two routes gets no
login: those operations are still fuzzed, logged out. When chapters 15 and 16
move to bearer tokens, this is the file that learns them.
"""

from __future__ import annotations

import os
import secrets
from typing import Any

import httpx
import schemathesis

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
