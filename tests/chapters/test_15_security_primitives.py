"""Chapter 15: an OAuth2 password bearer, a token route, a current-user dependency, /users/me.

The token store is tested alone on a clock of the test's own; the routes through
HTTP, with tokens from POST /auth/token or issued straight into the app's store
(so a broken token route does not hide a working get_current_user).
"""

from __future__ import annotations

from typing import Any

import pytest
from conftest import bearer, body, import_app_module, refused, unique, why
from fastapi.testclient import TestClient
from sqlalchemy import Engine, text

from workbook.server import LiveServer

TOKEN = "/api/v1/auth/token"
ME = "/api/v1/users/me"
STATUS = "/api/v1/system/status"
TOKENS = "app/core/tokens.py"
DEPS = "app/api/deps.py"
AUTH = "app/api/v1/routes/auth.py"
USERS = "app/api/v1/routes/users.py"
ALICE = {"username": "alice@example.com", "password": "alice-secret-1"}


def tokens_module() -> Any:
    found = import_app_module("app.core.tokens")
    for name in ("TokenStore", "access_tokens", "TOKEN_MAX_LENGTH"):
        if not hasattr(found, name):
            pytest.fail(f"{TOKENS} defines no {name}: run the chapter's %%app cells")
    return found


def store_on_a_clock(lifetime: int = 60, max_tokens: int = 10) -> tuple[Any, list[float]]:
    """A TokenStore whose clock the test moves: now[0] is the time."""
    now = [1000.0]
    store = tokens_module().TokenStore(lifetime, max_tokens, clock=lambda: now[0])
    return store, now


def issued_for(user_id: int) -> str:
    """A token of the app's own store, issued as POST /auth/token would."""
    return str(tokens_module().access_tokens.issue(user_id))


def sign_up(client: TestClient) -> dict[str, Any]:
    user = {"name": "Tok", "email": f"{unique('tok')}@example.com", "password": "tok-secret-12"}
    r = client.post("/api/v1/users", json=user)
    assert r.status_code == 201, f"POST /api/v1/users answered {why(r)}"
    return {**user, "id": r.json()["id"]}


# --- the token store --------------------------------------------------------------------


@pytest.mark.exercise("15.1")
def test_token_store_knows_a_token_until_it_expires() -> None:
    store, now = store_on_a_clock(lifetime=60)
    token = store.issue(7)
    assert store.user_id_for(token) == 7, (
        f"TokenStore.user_id_for(a fresh token) answered {store.user_id_for(token)!r}, not "
        f"its user 7: look up digest(token), the key issue() stored ({TOKENS})"
    )
    now[0] += 59
    assert store.user_id_for(token) == 7, (
        f"a token 59 s old (of 60) gave {store.user_id_for(token)!r}: it is still valid ({TOKENS})"
    )
    now[0] += 1
    assert store.user_id_for(token) is None, (
        f"a token at its expires_at gave {store.user_id_for(token)!r}, not None: compare "
        f"grant.expires_at with self.clock() ({TOKENS})"
    )
    assert len(store) == 0, (
        f"an expired token is still kept ({len(store)} grants): delete it from the store "
        f"when user_id_for finds it expired ({TOKENS})"
    )


@pytest.mark.exercise("15.1")
def test_token_store_answers_none_for_a_stranger() -> None:
    store, _ = store_on_a_clock()
    store.issue(7)
    for stranger in ("not-a-token", "", "x" * 100_000):
        try:
            found = store.user_id_for(stranger)
        except Exception as error:  # the learner's code: any error is theirs to see
            pytest.fail(
                f"TokenStore.user_id_for({stranger[:12]!r}) raised {type(error).__name__}: "
                f"look the digest up with .get() and answer None ({TOKENS})"
            )
        assert found is None, (
            f"TokenStore.user_id_for({stranger[:12]!r}) answered {found!r}, not None ({TOKENS})"
        )


def test_token_store_keeps_digests_and_a_bounded_number() -> None:
    store, _ = store_on_a_clock(max_tokens=2)
    tokens = [store.issue(n) for n in (1, 2, 3)]
    assert len(set(tokens)) == 3 and all(len(t) >= 32 for t in tokens), (
        f"TokenStore.issue gave {tokens}: random tokens of 32 bytes, secrets.token_urlsafe(32)"
    )
    assert len(store) == 2, (
        f"a store of max_tokens=2 holds {len(store)} after three logins: drop the oldest "
        f"grant when it is full ({TOKENS})"
    )
    kept = getattr(store, "_grants", {})
    assert not any(t in kept for t in tokens), (
        f"the store keeps the tokens themselves: key the grants by digest(token) ({TOKENS})"
    )


# --- the token route --------------------------------------------------------------------


@pytest.mark.exercise("15.3")
def test_token_route_issues_a_bearer_token_that_opens_me(client: TestClient) -> None:
    settings = import_app_module("app.core.config").settings
    r = client.post(TOKEN, data=ALICE)
    assert r.status_code == 200, (
        f"POST {TOKEN} with Alice's email and password (a form) answered {why(r)}: see "
        f"issue_token in {AUTH}"
    )
    answer = body(r)
    assert isinstance(answer, dict) and answer.get("token_type") == "bearer", (
        f"POST {TOKEN} answered {answer!r}: answer a Token (access_token, token_type "
        f'"bearer", expires_in) ({AUTH})'
    )
    assert answer.get("expires_in") == settings.ACCESS_TOKEN_SECONDS, (
        f"POST {TOKEN} answered expires_in {answer.get('expires_in')!r}: "
        f"settings.ACCESS_TOKEN_SECONDS ({AUTH})"
    )
    again = body(client.post(TOKEN, data=ALICE))
    token = str(answer.get("access_token", ""))
    assert len(token) >= 32 and token != again.get("access_token"), (
        f"two logins got the tokens {token!r} and {again.get('access_token')!r}: issue a new "
        f"random token each time with access_tokens.issue(user.id) ({AUTH})"
    )
    me = client.get(ME, headers=bearer(token))
    assert me.status_code == 200 and body(me).get("email") == ALICE["username"], (
        f"GET {ME} with the token of POST {TOKEN} answered {why(me)}: issue the token into "
        f"access_tokens, the store get_current_user reads ({AUTH})"
    )


def test_token_route_takes_the_form_of_swagger_ui(client: TestClient) -> None:
    # What the Authorize dialog of /docs posts for the password flow.
    form = {**ALICE, "grant_type": "password", "scope": "", "client_id": ""}
    r = client.post(TOKEN, data=form)
    assert r.status_code == 200, (
        f"POST {TOKEN} with the form of Swagger UI's Authorize dialog answered {why(r)}: "
        f'grant_type may be "password", scope empty, and other fields are ignored '
        f"(app/schemas/token.py)"
    )


@pytest.mark.exercise("15.3")
@pytest.mark.parametrize(
    "form",
    [
        {"username": "alice@example.com", "password": "wrong-password"},
        {"username": "nobody@example.com", "password": "alice-secret-1"},
    ],
    ids=["wrong-password", "unknown-email"],
)
def test_token_route_refuses_wrong_credentials_alike(
    client: TestClient, form: dict[str, str]
) -> None:
    r = client.post(TOKEN, data=form)
    refused(r, f"POST {TOKEN} with {form}", AUTH)
    assert body(r)["error"]["message"] == "Invalid email or password", (
        f"POST {TOKEN} with {form} says {body(r)['error']['message']!r}: one message for an "
        f'unknown email and a wrong password, "Invalid email or password" ({AUTH})'
    )


@pytest.mark.parametrize(
    "form",
    [
        {"username": "a" * 300 + "@example.com", "password": "x"},
        {"username": "alice@example.com", "password": "p" * 10_000},
        {"username": "alice@example.com", "password": "x", "grant_type": "client_credentials"},
        {"password": "alice-secret-1"},
    ],
    ids=["long-username", "long-password", "other-grant", "no-username"],
)
def test_token_route_bounds_its_form(client: TestClient, form: dict[str, str]) -> None:
    r = client.post(TOKEN, data=form)
    assert r.status_code == 422, (
        f"POST {TOKEN} with {str(form)[:80]} answered {why(r)}, not 422: read the form as "
        f"PasswordForm, whose fields are bounded (app/schemas/token.py)"
    )


# --- the current user -------------------------------------------------------------------


@pytest.mark.until(15, "chapter 16 signs JWTs: get_current_user reads no token store")
@pytest.mark.exercise("15.2")
def test_me_answers_the_user_of_the_token(client: TestClient) -> None:
    r = client.get(ME, headers=bearer(issued_for(1)))
    assert r.status_code == 200 and body(r).get("email") == "alice@example.com", (
        f"GET {ME} with a token issued for Alice answered {why(r)}: read the token with "
        f"Depends(oauth2_scheme) and its user with access_tokens.user_id_for ({DEPS})"
    )
    assert "password" not in body(r), f"GET {ME} answers the password: return a UserOut ({USERS})"


@pytest.mark.exercise("15.2")
@pytest.mark.parametrize(
    ("headers", "message"),
    [
        ({}, "Not logged in"),
        ({"Authorization": "Basic YWxpY2U6c2VjcmV0"}, "Not logged in"),
        ({"Authorization": "Bearer"}, "Not logged in"),
        ({"Authorization": "Bearer not-a-token"}, "Invalid or expired token"),
        ({"Authorization": "Bearer " + "x" * 20_000}, "Invalid or expired token"),
    ],
    ids=["none", "basic", "empty", "unknown", "huge"],
)
def test_me_without_a_valid_token_is_401(
    client: TestClient, headers: dict[str, str], message: str
) -> None:
    r = client.get(ME, headers=headers)
    what = f"GET {ME} with {str(headers)[:60] or 'no Authorization'}"
    refused(r, what, DEPS)
    assert body(r)["error"]["message"] == message, (
        f"{what} says {body(r)['error']['message']!r}, not {message!r} ({DEPS})"
    )


@pytest.mark.until(15, "chapter 16 signs JWTs: get_current_user reads no token store")
@pytest.mark.exercise("15.2")
def test_token_in_the_query_string_is_refused(client: TestClient) -> None:
    token = issued_for(1)
    r = client.get(ME, params={"token": token, "access_token": token})
    refused(r, f"GET {ME}?access_token=... (no header)", DEPS)
    r = client.get(ME, headers=bearer(token))
    assert r.status_code == 200, (
        f"GET {ME} with the token in the Authorization header answered {why(r)}: read it "
        f"with Depends(oauth2_scheme), never from the query string (it ends up in logs) ({DEPS})"
    )


@pytest.mark.until(15, "chapter 16 signs JWTs: get_current_user reads no token store")
@pytest.mark.exercise("15.1")
def test_expired_token_is_401(client: TestClient, monkeypatch: pytest.MonkeyPatch) -> None:
    store = tokens_module().access_tokens
    token = issued_for(1)
    later = store.clock() + store.lifetime_seconds + 1
    monkeypatch.setattr(store, "clock", lambda: later)
    refused(client.get(ME, headers=bearer(token)), f"GET {ME} with an expired token", DEPS)


@pytest.mark.until(15, "chapter 16 signs JWTs: get_current_user reads no token store")
@pytest.mark.exercise("15.2")
def test_token_of_a_deleted_user_is_401(client: TestClient) -> None:
    user = sign_up(client)
    token = issued_for(user["id"])
    r = client.get(ME, headers=bearer(token))
    assert r.status_code == 200, f"GET {ME} with a new user's token answered {why(r)} ({DEPS})"
    client.delete(f"/api/v1/users/{user['id']}")
    refused(client.get(ME, headers=bearer(token)), f"GET {ME} for a deleted user", DEPS)


@pytest.mark.until(15, "chapter 16 signs JWTs: get_current_user reads no token store")
@pytest.mark.exercise("15.2")
def test_an_inactive_user_gets_no_token_and_no_access(
    client: TestClient, own_engine: Engine
) -> None:
    user = sign_up(client)
    token = issued_for(user["id"])
    with own_engine.begin() as connection:
        connection.execute(
            text("UPDATE users SET is_active = :no WHERE id = :id"), {"no": False, "id": user["id"]}
        )
    refused(client.get(ME, headers=bearer(token)), f"GET {ME} for a deactivated user", DEPS)
    form = {"username": user["email"], "password": user["password"]}
    refused(client.post(TOKEN, data=form), f"POST {TOKEN} for a deactivated user", AUTH)


def test_the_session_cookie_no_longer_opens_the_system_routes(client: TestClient) -> None:
    login = {"email": ALICE["username"], "password": ALICE["password"]}
    r = client.post("/api/v1/session/login", json=login)
    assert r.status_code == 200, f"POST /api/v1/session/login answered {why(r)}"
    r = client.get(STATUS)
    assert r.status_code == 401, (
        f"GET {STATUS} with the session cookie and no bearer token answered {why(r)}: "
        f"get_current_user reads the Authorization header only ({DEPS})"
    )


@pytest.mark.until(15, "chapter 16 signs JWTs: get_current_user reads no token store")
@pytest.mark.exercise("15.2")
def test_system_routes_take_the_bearer_token(client: TestClient) -> None:
    refused(client.get(STATUS), f"GET {STATUS} without a token", DEPS)
    r = client.get(STATUS, headers=bearer(issued_for(1)))
    assert r.status_code == 200, (
        f"GET {STATUS} with a bearer token answered {why(r)}: the system router depends on "
        f"get_current_user ({DEPS})"
    )


# --- the OpenAPI document ---------------------------------------------------------------


@pytest.mark.exercise("15.2")
def test_openapi_declares_the_bearer_scheme_and_its_token_url(client: TestClient) -> None:
    spec = client.get("/openapi.json").json()
    schemes = spec.get("components", {}).get("securitySchemes", {})
    flows = [s.get("flows", {}).get("password", {}) for s in schemes.values()]
    assert any(f.get("tokenUrl") == TOKEN for f in flows), (
        f"openapi.json declares the security schemes {schemes}: none is an OAuth2 password "
        f"flow with tokenUrl {TOKEN}: OAuth2PasswordBearer(tokenUrl=...) in a dependency ({DEPS})"
    )
    me = spec.get("paths", {}).get(ME, {}).get("get", {})
    assert me.get("security") and "401" in me.get("responses", {}), (
        f"the docs of GET {ME} show security {me.get('security')} and the answers "
        f"{sorted(me.get('responses', {}))}: declare user: CurrentUser and "
        f"responses=error_responses(UnauthorizedError) ({USERS})"
    )
    login = spec.get("paths", {}).get(TOKEN, {}).get("post", {})
    content = login.get("requestBody", {}).get("content", {})
    assert "application/x-www-form-urlencoded" in content, (
        f"POST {TOKEN} takes {sorted(content) or 'no body'}: the OAuth2 password flow posts a "
        f"form: form: Annotated[PasswordForm, Form()] ({AUTH})"
    )


def test_docs_serve_their_scripts_from_the_app(client: TestClient) -> None:
    r = client.get("/docs")
    assert r.status_code == 200 and "swagger" in r.text.lower(), f"GET /docs answered {why(r)}"
    assert "cdn.jsdelivr.net" not in r.text, (
        "GET /docs loads Swagger UI from a CDN: keep FastAPIOffline in app/main.py"
    )


# --- for real ---------------------------------------------------------------------------


@pytest.mark.slow
def test_bearer_token_over_real_http(live_server: LiveServer) -> None:
    r = live_server.post(TOKEN, data=ALICE)
    assert r.status_code == 200, f"under uvicorn, POST {TOKEN} answered {why(r)} ({AUTH})"
    token = r.json()["access_token"]
    me = live_server.get(ME, headers=bearer(token))
    assert me.status_code == 200 and me.json().get("email") == ALICE["username"], (
        f"under uvicorn, GET {ME} with the token answered {why(me)} ({DEPS})"
    )
    refused(live_server.get(ME), f"under uvicorn, GET {ME} without a token", DEPS)
