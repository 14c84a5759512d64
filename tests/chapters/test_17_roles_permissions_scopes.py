"""Chapter 17: roles, an admin-only dependency, OAuth2 scopes in the token and per route.

Tokens come from POST /auth/token (with the form's `scope`) or from the app's own
create_access_token, so that a broken login does not hide a working scope check.
"""

from __future__ import annotations

import dataclasses
from typing import Any

import pytest
from conftest import bearer, body, import_app_module, refused, stored_value, unique, why
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from workbook.server import LiveServer

TOKEN = "/api/v1/auth/token"
USERS = "/api/v1/users"
ITEMS = "/api/v1/items"
ROLE = "/api/v1/admin/users/{id}/role"
SCOPES_FILE = "app/core/scopes.py"
DEPS = "app/api/deps.py"
PERMISSIONS = "app/api/permissions.py"
ALICE = {"username": "alice@example.com", "password": "alice-secret-1"}  # the seeded admin
PASSWORD = "jot-secret-12"


def jwt_module() -> Any:
    return import_app_module("app.core.jwt_tokens")


def token_of(user_id: int, *scopes: str) -> dict[str, str]:
    return bearer(jwt_module().create_access_token(user_id, list(scopes)))


def sign_up(client: Any, **extra: Any) -> dict[str, Any]:
    user = {"name": "Jot", "email": f"{unique('jot')}@example.com", "password": PASSWORD}
    r = client.post(USERS, json={**user, **extra})
    assert r.status_code == 201, f"POST {USERS} answered {why(r)}"
    return {**user, **r.json()}


def login(client: Any, email: str, password: str, scope: str = "") -> Any:
    return client.post(TOKEN, data={"username": email, "password": password, "scope": scope})


def role_in_db(engine: Engine, user_id: int) -> Any:
    return stored_value(engine, "SELECT role FROM users WHERE id = :id", id=user_id)


# --- roles cannot be self-assigned ----------------------------------------------------------


def test_signing_up_as_admin_makes_a_user(client: TestClient, own_engine: Engine) -> None:
    user = sign_up(client, role="admin")
    stored = role_in_db(own_engine, user["id"])
    assert user.get("role") == "user" and stored == "user", (
        f'POST {USERS} with "role": "admin" made a user of role {stored!r}: '
        f'UserCreate has no role field (extra fields are ignored), sign_up stores "user" '
        f"(app/schemas/user.py, app/services/users.py)"
    )


def test_patching_oneself_cannot_grant_a_role(client: TestClient, own_engine: Engine) -> None:
    user = sign_up(client)
    r = client.patch(
        f"{USERS}/{user['id']}",
        json={"role": "admin", "name": "Jotted"},
        headers=token_of(user["id"], "users:write"),
    )
    assert r.status_code == 200, f"PATCH {USERS}/{{id}} answered {why(r)}"
    assert role_in_db(own_engine, user["id"]) == "user", (
        f'PATCH {USERS}/{{id}} with "role": "admin" changed the role: UserUpdate has no '
        f"role field (app/schemas/user.py)"
    )


# --- 17.1: the scopes a login gets ----------------------------------------------------------


@pytest.mark.exercise("17.1")
def test_granted_scopes_follow_the_role() -> None:
    grant = import_app_module("app.core.scopes").granted_scopes
    cases = [
        (("", "user"), ["items:write", "users:write"]),
        (("admin items:write", "user"), ["items:write"]),
        (("admin", "admin"), ["admin"]),
        (("users:write admin nonsense", "admin"), ["users:write", "admin"]),
        (("", "admin"), ["items:write", "users:write"]),
    ]
    for (requested, role), wanted in cases:
        got = grant(requested, role)
        assert got == wanted, (
            f"granted_scopes({requested!r}, {role!r}) answered {got!r}, not {wanted!r}: keep "
            f"the asked scopes that ROLE_SCOPES[role] allows, in SCOPES order; none asked: "
            f"USER_SCOPES ({SCOPES_FILE})"
        )


@pytest.mark.exercise("17.1")
def test_a_non_admin_asking_for_admin_gets_a_token_without_it(client: TestClient) -> None:
    user = sign_up(client)
    r = login(client, user["email"], PASSWORD, "admin items:write")
    assert r.status_code == 200, f"POST {TOKEN} asking for admin answered {why(r)}, not 200"
    assert r.json().get("scope") == "items:write", (
        f"a non-admin asking for 'admin items:write' was granted {r.json().get('scope')!r}: "
        f"granted_scopes drops what the role does not allow ({SCOPES_FILE})"
    )
    claims = __import__("jose").jwt.get_unverified_claims(r.json()["access_token"])
    assert claims.get("scope") == "items:write", (
        f"the token's scope claim is {claims.get('scope')!r}: create_access_token(user.id, "
        f"scopes) puts the granted scopes in it (app/core/jwt_tokens.py)"
    )


def test_the_admin_gets_the_admin_scope_when_asking(client: TestClient) -> None:
    r = login(client, ALICE["username"], ALICE["password"], "admin users:write")
    assert r.status_code == 200 and r.json().get("scope") == "users:write admin", (
        f"the admin asking for 'admin users:write' got {why(r)} ({SCOPES_FILE})"
    )


# --- 17.2: scopes checked per route ------------------------------------------------------------


@pytest.mark.exercise("17.2")
def test_a_token_without_the_scope_is_401_naming_it(client: TestClient) -> None:
    r = client.post(ITEMS, json={"name": "Lamp", "price": 3}, headers=token_of(1, "users:write"))
    assert r.status_code == 401, (
        f"POST {ITEMS} with a token lacking items:write answered {why(r)}, not 401: compare "
        f"security_scopes.scopes with the token's scopes in get_current_user ({DEPS})"
    )
    assert r.headers.get("www-authenticate") == 'Bearer scope="items:write"', (
        f"the 401 said WWW-Authenticate {r.headers.get('www-authenticate')!r}, not "
        f"'Bearer scope=\"items:write\"' ({DEPS})"
    )
    assert body(r).get("error", {}).get("code") == "unauthorized", (
        f"the 401 answered {body(r)!r}: raise UnauthorizedError, the envelope ({DEPS})"
    )


@pytest.mark.exercise("17.2")
def test_every_scope_a_route_needs_is_required(client: TestClient, own_engine: Engine) -> None:
    user = sign_up(client)
    path = ROLE.format(id=user["id"])
    for scopes in (("admin",), ("users:write",)):
        r = client.patch(path, json={"role": "admin"}, headers=token_of(1, *scopes))
        assert r.status_code == 401, (
            f"PATCH {ROLE} (needs admin and users:write) with only {scopes} answered {why(r)}, "
            f"not 401: every needed scope must be in the token, all of them, not any ({DEPS})"
        )
    assert role_in_db(own_engine, user["id"]) == "user", "a refused role change changed the role"
    r = client.patch(path, json={"role": "admin"}, headers=token_of(1, "admin", "users:write"))
    assert r.status_code == 200 and role_in_db(own_engine, user["id"]) == "admin", (
        f"PATCH {ROLE} by the admin with both scopes answered {why(r)}"
    )


def test_a_token_with_the_scope_writes_items(client: TestClient) -> None:
    r = client.post(ITEMS, json={"name": "Lamp", "price": 3}, headers=token_of(1, "items:write"))
    assert r.status_code == 201, f"POST {ITEMS} with items:write answered {why(r)}"


# --- 17.3: admins only ----------------------------------------------------------------------


@pytest.mark.exercise("17.3")
def test_a_known_non_admin_is_403(client: TestClient, own_engine: Engine) -> None:
    user, other = sign_up(client), sign_up(client)
    path = ROLE.format(id=other["id"])
    r = client.patch(
        path, json={"role": "admin"}, headers=token_of(user["id"], "admin", "users:write")
    )
    assert r.status_code == 403 and body(r).get("error", {}).get("code") == "forbidden", (
        f"PATCH {ROLE} by a non-admin (a token with the scopes, role 'user' in the database) "
        f"answered {why(r)}, not 403 forbidden: require_admin raises ForbiddenError ({PERMISSIONS})"
    )
    assert role_in_db(own_engine, other["id"]) == "user", "a non-admin changed a role"


@pytest.mark.exercise("17.3")
def test_the_admin_scope_is_needed_even_for_an_admin(client: TestClient) -> None:
    user = sign_up(client)
    r = client.patch(
        ROLE.format(id=user["id"]), json={"role": "admin"}, headers=token_of(1, "users:write")
    )
    assert r.status_code == 401 and "admin" in r.headers.get("www-authenticate", ""), (
        f"PATCH {ROLE} by the admin without the admin scope answered {why(r)}, "
        f"WWW-Authenticate {r.headers.get('www-authenticate')!r}: require_admin takes its user "
        f'through Security(get_current_user, scopes=["admin"]), not Depends ({PERMISSIONS})'
    )


@pytest.mark.exercise("17.3")
def test_a_demoted_admin_is_refused_at_once(client: TestClient, own_engine: Engine) -> None:
    user = sign_up(client)
    admin_token = token_of(1, "admin", "users:write")
    r = client.patch(ROLE.format(id=user["id"]), json={"role": "admin"}, headers=admin_token)
    assert r.status_code == 200, f"PATCH {ROLE} by the admin answered {why(r)}"
    # The token the new admin got while an admin: made by the app, so 17.1 does not matter here.
    theirs = jwt_module().create_access_token(user["id"], ["admin", "users:write"])
    r = client.patch(ROLE.format(id=user["id"]), json={"role": "user"}, headers=admin_token)
    assert r.status_code == 200, f"PATCH {ROLE} back to user answered {why(r)}"
    r = client.patch(ROLE.format(id=1), json={"role": "user"}, headers=bearer(theirs))
    assert r.status_code == 403 and role_in_db(own_engine, 1) == "admin", (
        f"a demoted admin's older token answered {why(r)}, not 403: require_admin reads the "
        f"role of the user from the database, never from the token ({PERMISSIONS})"
    )


# --- admins change any item -----------------------------------------------------------------


def test_an_admin_changes_and_deletes_any_item(client: TestClient) -> None:
    owner = sign_up(client)
    r = client.post(
        ITEMS,
        json={"name": unique("Lamp"), "price": 5},
        headers=token_of(owner["id"], "items:write"),
    )
    assert r.status_code == 201, f"POST {ITEMS} answered {why(r)}"
    path = f"{ITEMS}/{r.json()['id']}"
    stranger = sign_up(client)
    r = client.patch(path, json={"price": 1}, headers=token_of(stranger["id"], "items:write"))
    assert r.status_code == 403, f"PATCH {path} by another user answered {why(r)}, not 403"
    r = client.patch(path, json={"price": 2}, headers=token_of(1, "items:write"))
    assert r.status_code == 200 and r.json().get("price") == 2, (
        f"PATCH {path} by an admin answered {why(r)}: ensure_owner lets admins through "
        f"(app/services/items.py)"
    )
    r = client.delete(path, headers=token_of(1, "items:write"))
    assert r.status_code == 204, f"DELETE {path} by an admin answered {why(r)}"


# --- the first admin --------------------------------------------------------------------------


@pytest.mark.until(
    20,
    "chapter 21: ensure_first_admin reads get_settings() when it runs; test_21 sets the "
    "environment instead of a module attribute",
)
def test_the_first_admin_comes_from_the_settings(
    client: TestClient, own_engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    first_admin = import_app_module("app.core.first_admin")
    session = import_app_module("app.db.session")
    email = f"{unique('root')}@example.com"
    named = dataclasses.replace(
        first_admin.settings,
        FIRST_ADMIN_EMAIL=email,
        FIRST_ADMIN_PASSWORD="root-secret-12",
    )

    async def run() -> None:
        async with session.SessionLocal() as db:
            await first_admin.ensure_first_admin(db)

    monkeypatch.setattr(first_admin, "settings", named)
    client.portal.call(run)
    client.portal.call(run)  # twice: still one user
    count = stored_value(own_engine, "SELECT COUNT(*) FROM users WHERE email = :e", e=email)
    role = stored_value(own_engine, "SELECT role FROM users WHERE email = :e", e=email)
    assert count == 1 and role == "admin", (
        f"ensure_first_admin with FIRST_ADMIN_EMAIL set left {count} user(s) of role {role!r}: "
        f"create that user once, as an admin (app/core/first_admin.py)"
    )
    r = login(client, email, "root-secret-12", "admin")
    assert r.status_code == 200 and r.json().get("scope") == "admin", (
        f"the first admin logging in asking for admin answered {why(r)}"
    )


@pytest.mark.until(
    20,
    "chapter 21: ensure_first_admin reads get_settings() when it runs; test_21 sets the "
    "environment instead of a module attribute",
)
def test_without_the_settings_no_admin_is_made(client: TestClient) -> None:
    first_admin = import_app_module("app.core.first_admin")
    assert not first_admin.settings.FIRST_ADMIN_EMAIL, (
        "FIRST_ADMIN_EMAIL has a default: the first admin must come from the environment only"
    )


# --- the OpenAPI document ----------------------------------------------------------------------


def test_the_scopes_are_in_the_security_scheme(client: TestClient) -> None:
    schemes = client.get("/openapi.json").json().get("components", {}).get("securitySchemes", {})
    flows = schemes.get("OAuth2PasswordBearer", {}).get("flows", {}).get("password", {})
    assert set(flows.get("scopes", {})) == {"items:write", "users:write", "admin"}, (
        f"the password flow lists the scopes {flows.get('scopes')!r}: OAuth2PasswordBearer("
        f"..., scopes=SCOPES) ({DEPS})"
    )
    operation = client.get("/openapi.json").json()["paths"]["/api/v1/admin/users/{user_id}/role"][
        "patch"
    ]
    listed = operation.get("security", [{}])[0].get("OAuth2PasswordBearer", [])
    assert set(listed) == {"admin", "users:write"}, (
        f"PATCH {ROLE} lists the scopes {listed!r} in its security entry: Security(...) with "
        f"scopes ({DEPS})"
    )


@pytest.mark.slow
def test_a_user_and_an_admin_over_real_http(live_server: LiveServer) -> None:
    user = sign_up(live_server)
    logins = [
        login(live_server, email, password, "admin users:write")
        for email, password in ((user["email"], PASSWORD), (ALICE["username"], ALICE["password"]))
    ]
    for r in logins:
        assert r.status_code == 200, f"POST {TOKEN} over HTTP answered {why(r)}"
    mine, admins = logins[0].json()["access_token"], logins[1].json()
    path = ROLE.format(id=user["id"])
    r = live_server.request("PATCH", path, json={"role": "user"}, headers=bearer(mine))
    assert r.status_code == 401, f"PATCH {ROLE} by a user over HTTP answered {why(r)}"
    r = live_server.request(
        "PATCH", path, json={"role": "user"}, headers=bearer(admins["access_token"])
    )
    assert r.status_code == 200, f"PATCH {ROLE} by the admin over HTTP answered {why(r)}"


@pytest.mark.until(
    20,
    "chapter 21: ensure_first_admin reads get_settings() when it runs; test_21 sets the "
    "environment instead of a module attribute",
)
def test_the_first_admin_setting_promotes_a_registered_user(
    client: TestClient, own_engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    first_admin = import_app_module("app.core.first_admin")
    session = import_app_module("app.db.session")
    user = sign_up(client)
    named = dataclasses.replace(
        first_admin.settings,
        FIRST_ADMIN_EMAIL=user["email"],
        FIRST_ADMIN_PASSWORD="other-secret-12",
    )

    async def run() -> None:
        async with session.SessionLocal() as db:
            await first_admin.ensure_first_admin(db)

    monkeypatch.setattr(first_admin, "settings", named)
    client.portal.call(run)
    assert role_in_db(own_engine, user["id"]) == "admin", (
        "FIRST_ADMIN_EMAIL naming a registered user left them a 'user': promote them "
        "(app/core/first_admin.py)"
    )
    r = login(client, user["email"], PASSWORD)
    assert r.status_code == 200, (
        f"the promoted user's own password answered {why(r)}: promoting changes the role, "
        f"never the password (app/core/first_admin.py)"
    )


# --- 17.4: a user record is its user's, or an admin's ------------------------------------------

SERVICE = "app/services/users.py"
USER_ROUTES = "app/api/v1/routes/users.py"


def user_row(engine: Engine, user_id: int) -> Any:
    """The stored name and email of a user, or None when the row is gone."""
    name = stored_value(engine, "SELECT name FROM users WHERE id = :id", id=user_id)
    email = stored_value(engine, "SELECT email FROM users WHERE id = :id", id=user_id)
    return None if name is None else (name, email)


def another_users_record(client: TestClient, caller: dict[str, str], target: int) -> list[Any]:
    """GET, PUT, PATCH and DELETE of user `target`'s record with the caller's headers."""
    path = f"{USERS}/{target}"
    replacement = {"name": "Taken Over", "email": f"{unique('taken')}@example.com"}
    return [
        ("GET", client.get(path, headers=caller)),
        ("PUT", client.put(path, json=replacement, headers=caller)),
        ("PATCH", client.patch(path, json={"name": "Taken Over"}, headers=caller)),
        ("DELETE", client.delete(path, headers=caller)),
    ]


@pytest.mark.exercise("17.4")
def test_a_user_cannot_read_change_or_delete_another(
    client: TestClient, own_engine: Engine
) -> None:
    mallory, bob = sign_up(client), sign_up(client)
    before = user_row(own_engine, bob["id"])
    theirs = token_of(mallory["id"], "users:write")
    for method, r in another_users_record(client, theirs, bob["id"]):
        assert r.status_code == 403 and body(r).get("error", {}).get("code") == "forbidden", (
            f"{method} {USERS}/{{id}} of another user answered {why(r)}, not 403 forbidden: the "
            f"caller is known, the record is not theirs: ensure_self_or_admin raises NotAllowed "
            f"({SERVICE})"
        )
    assert user_row(own_engine, bob["id"]) == before, (
        f"a refused request changed or deleted another user's row: call ensure_self_or_admin "
        f"before the service changes anything ({USER_ROUTES})"
    )


@pytest.mark.exercise("17.4")
def test_a_user_reads_and_changes_their_own_record(client: TestClient, own_engine: Engine) -> None:
    user = sign_up(client)
    mine, path = token_of(user["id"], "users:write"), f"{USERS}/{user['id']}"
    r = client.get(path, headers=mine)
    assert r.status_code == 200 and r.json().get("email") == user["email"], (
        f"GET {USERS}/{{id}} of one's own record answered {why(r)}: ensure_self_or_admin lets "
        f"the user of that id through, compared by id ({SERVICE})"
    )
    # PATCH changes only the fields it is sent (chapter 06), now as the user themselves.
    r = client.patch(path, json={"name": "Renamed"}, headers=mine)
    assert r.status_code == 200, f"PATCH {USERS}/{{id}} of one's own record answered {why(r)}"
    assert user_row(own_engine, user["id"]) == ("Renamed", user["email"]), (
        f"PATCH of the name stored {user_row(own_engine, user['id'])!r}: only the sent field "
        f"changes ({SERVICE})"
    )


@pytest.mark.exercise("17.4")
def test_an_admin_reads_changes_and_deletes_any_record(
    client: TestClient, own_engine: Engine
) -> None:
    user = sign_up(client)
    admin, path = token_of(1, "users:write"), f"{USERS}/{user['id']}"
    r = client.get(path, headers=admin)
    assert r.status_code == 200, (
        f"GET {USERS}/{{id}} by the admin answered {why(r)}, not 200: ensure_self_or_admin lets "
        f'admins through (caller.role == "admin", from the database) ({SERVICE})'
    )
    r = client.patch(path, json={"name": "Fixed By Admin"}, headers=admin)
    assert r.status_code == 200 and user_row(own_engine, user["id"])[0] == "Fixed By Admin", (
        f"PATCH {USERS}/{{id}} by the admin answered {why(r)} ({SERVICE})"
    )
    r = client.delete(path, headers=admin)
    assert r.status_code == 204 and user_row(own_engine, user["id"]) is None, (
        f"DELETE {USERS}/{{id}} by the admin answered {why(r)} ({SERVICE})"
    )
    r = client.get(path, headers=admin)
    assert r.status_code == 404, (
        f"GET {USERS}/{{id}} of a deleted user, by the admin, answered {why(r)}, not 404"
    )


@pytest.mark.exercise("17.4")
def test_a_user_naming_nobody_is_403_and_an_admin_404(client: TestClient) -> None:
    user = sign_up(client)
    nobody = f"{USERS}/2147483647"
    r = client.get(nobody, headers=token_of(user["id"]))
    assert r.status_code == 403, (
        f"GET {nobody} by a user answered {why(r)}, not 403: a user is refused every id but "
        f"their own, existing or not, so the answer tells nothing about other accounts; ask "
        f"ensure_self_or_admin before the lookup ({USER_ROUTES})"
    )
    r = client.get(nobody, headers=token_of(1))
    assert r.status_code == 404, f"GET {nobody} by the admin answered {why(r)}, not 404"


# --- the user routes: who needs which token ------------------------------------------------------


def test_the_user_routes_need_a_token(client: TestClient, own_engine: Engine) -> None:
    user = sign_up(client)
    before = user_row(own_engine, user["id"])
    path = f"{USERS}/{user['id']}"
    calls = [
        ("GET", USERS, {}),
        ("GET", f"{USERS}/search", {"params": {"q": "Jot"}}),
        ("GET", path, {}),
        ("PUT", path, {"json": {"name": "Nobody", "email": f"{unique('no')}@example.com"}}),
        ("PATCH", path, {"json": {"name": "Nobody"}}),
        ("DELETE", path, {}),
    ]
    for method, url, kwargs in calls:
        refused(client.request(method, url, **kwargs), f"{method} {url} without a token", DEPS)
        forged = client.request(method, url, headers=bearer("not-a-token"), **kwargs)
        refused(forged, f"{method} {url} with a forged token", DEPS)
    assert user_row(own_engine, user["id"]) == before, "a request without a token changed a user"


def test_writing_a_user_record_needs_the_users_write_scope(
    client: TestClient, own_engine: Engine
) -> None:
    user = sign_up(client)
    before = user_row(own_engine, user["id"])
    path, narrow = f"{USERS}/{user['id']}", token_of(user["id"], "items:write")
    writes = [
        ("PUT", {"json": {"name": "Narrow", "email": f"{unique('narrow')}@example.com"}}),
        ("PATCH", {"json": {"name": "Narrow"}}),
        ("DELETE", {}),
    ]
    for method, kwargs in writes:
        r = client.request(method, path, headers=narrow, **kwargs)
        assert r.status_code == 401 and "users:write" in r.headers.get("www-authenticate", ""), (
            f"{method} {USERS}/{{id}} with a token without users:write answered {why(r)}, "
            f"WWW-Authenticate {r.headers.get('www-authenticate')!r}: the writes take "
            f'Security(get_current_user, scopes=["users:write"]) ({USER_ROUTES})'
        )
        assert "users:write" in r.text, f"the 401 does not name the scope: {r.text[:120]}"
    assert user_row(own_engine, user["id"]) == before, "a token without users:write changed a user"
    r = client.get(path, headers=narrow)
    assert r.status_code == 200, f"GET {USERS}/{{id}} needs no scope; it answered {why(r)}"


def test_listing_and_searching_users_is_for_admins(client: TestClient) -> None:
    user = sign_up(client)
    for url in (USERS, f"{USERS}/search?q=Jot"):
        r = client.get(url, headers=token_of(user["id"], "admin", "users:write"))
        assert r.status_code == 403, (
            f"GET {url} by a user (role 'user', even with the admin scope) answered {why(r)}, "
            f"not 403: it lists every email; take admin: AdminUser ({USER_ROUTES})"
        )
        r = client.get(url, headers=token_of(1, "users:write"))
        assert r.status_code == 401, (
            f"GET {url} by the admin without the admin scope answered {why(r)}, not 401 "
            f"({USER_ROUTES})"
        )
        r = client.get(url, headers=token_of(1, "admin"))
        assert r.status_code == 200, f"GET {url} by the admin answered {why(r)} ({USER_ROUTES})"
    emails = {found.get("email") for found in r.json().get("results", [])}
    assert user["email"] in emails, f"the admin's search for 'Jot' answered {emails!r}"


def test_signing_up_and_reading_oneself_stay_as_they_were(client: TestClient) -> None:
    user = sign_up(client)  # POST /users with no token: 201
    r = client.get(f"{USERS}/me", headers=token_of(user["id"]))
    assert r.status_code == 200 and r.json().get("id") == user["id"], (
        f"GET {USERS}/me answered {why(r)}"
    )


def test_a_user_cannot_take_another_users_email(client: TestClient, own_engine: Engine) -> None:
    user, other = sign_up(client), sign_up(client)
    mine = token_of(user["id"], "users:write")
    r = client.put(
        f"{USERS}/{user['id']}", json={"name": "Jot", "email": other["email"]}, headers=mine
    )
    assert r.status_code == 409, (
        f"PUT of one's own record with another user's email answered {why(r)}, not 409"
    )
    assert user_row(own_engine, user["id"]) == ("Jot", user["email"]), (
        "a PUT refused with 409 changed the row"
    )


def test_deleting_oneself_leaves_ones_items_to_nobody(
    client: TestClient, own_engine: Engine
) -> None:
    user = sign_up(client)
    token = login(client, user["email"], PASSWORD)
    assert token.status_code == 200, f"POST {TOKEN} answered {why(token)}"
    mine = bearer(token.json()["access_token"])
    r = client.post(ITEMS, json={"name": unique("Kite"), "price": 4}, headers=mine)
    assert r.status_code == 201, f"POST {ITEMS} answered {why(r)}"
    item_id = r.json()["id"]
    r = client.delete(f"{USERS}/{user['id']}", headers=mine)
    assert r.status_code == 204, f"DELETE {USERS}/{{id}} of oneself answered {why(r)}, not 204"
    assert user_row(own_engine, user["id"]) is None, "DELETE of oneself left the row"
    owner = stored_value(own_engine, "SELECT owner_id FROM items WHERE id = :id", id=item_id)
    left = stored_value(own_engine, "SELECT COUNT(*) FROM items WHERE id = :id", id=item_id)
    assert left == 1 and owner is None, (
        f"after deleting its owner, item {item_id} is {'there' if left else 'gone'} with "
        f"owner_id {owner!r}: the items stay, owned by nobody (UserRepository.disown_items, "
        f"app/repositories/users.py)"
    )
    refused(client.get(f"{USERS}/me", headers=mine), f"GET {USERS}/me of a deleted user", DEPS)
    r = client.get(f"{ITEMS}/{item_id}")
    assert r.status_code == 200, f"GET {ITEMS}/{{id}} of a deleted user's item answered {why(r)}"
    r = client.get(f"{USERS}/{user['id']}", headers=token_of(1))
    assert r.status_code == 404, f"GET {USERS}/{{id}} of a deleted user answered {why(r)}"
