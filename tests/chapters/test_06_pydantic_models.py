"""Chapter 06: Pydantic models for users: validation, enums, nested models, examples, UserOut.

The users routes of chapter 05 now take and answer models: UserCreate (with a
password, at most 72 bytes), UserBase for PUT, UserUpdate for PATCH, and UserOut
everywhere out, which has no password. Each test signs up its own users, with
emails no other test uses, so the order of the tests does not matter.
"""

from __future__ import annotations

import itertools
from types import SimpleNamespace
from typing import Any

import httpx
import pytest
from conftest import body, import_app_module, raised
from fastapi.testclient import TestClient

USERS = "/api/v1/users"
SCHEMAS = "app/schemas/user.py"
ROUTES = "app/api/v1/routes/users.py"
PASSWORD = "correct horse battery"
SEEDED_PASSWORDS = ("alice-secret-1", "bob-secret-1")
_numbers = itertools.count(1)


def why(r: httpx.Response) -> str:
    """The status and, for an error, the body: what a learner needs to see."""
    if r.status_code != 500:
        return f"{r.status_code}" if r.is_success else f"{r.status_code} {body(r)!r}"
    config = getattr(getattr(schemas(), "UserOut", None), "model_config", {})
    if not config.get("from_attributes"):
        return (
            f"500 (UserOut.model_validate(record) raises until UserOut's model_config has "
            f"from_attributes=True, in {SCHEMAS}: exercise 06.2)"
        )
    return "500" + (
        raised() or " (the route raised an exception: server.log() in the notebook shows it)"
    )


def new_email() -> str:
    return f"ch06-user-{next(_numbers)}@example.com"


def sign_up(client: TestClient, **fields: Any) -> dict[str, Any]:
    """POST /api/v1/users with a valid body (``fields`` override it); the 201 answer."""
    payload = {"name": "Ada Lovelace", "email": new_email(), "password": PASSWORD, **fields}
    r = client.post(USERS, json=payload)
    assert r.status_code == 201, (
        f"POST {USERS} with a valid body answered {why(r)}: create_user in "
        f"{ROUTES} takes a UserCreate and answers 201"
    )
    return dict(body(r))


def assert_no_password(r: httpx.Response, what: str, *passwords: str) -> None:
    leaked = "password" in r.text or any(p in r.text for p in passwords)
    assert not leaked, (
        f"{what} shows a password: answer UserOut (it has no password field) in {ROUTES}"
    )


def schemas() -> Any:
    return import_app_module("app.schemas.user")


# --- the models ----------------------------------------------------------------------


def test_schemas_define_the_user_models() -> None:
    module = schemas()
    missing = [
        name
        for name in ("Role", "Profile", "UserBase", "UserCreate", "UserUpdate", "UserOut")
        if not hasattr(module, name)
    ]
    assert not missing, f"{SCHEMAS} does not define {', '.join(missing)}: run its %%app cell"
    assert {role.value for role in module.Role} == {"user", "admin"}, (
        f"Role in {SCHEMAS} must have exactly the values 'user' and 'admin'"
    )


@pytest.mark.exercise("06.2")
def test_user_out_reads_attributes_of_a_record() -> None:
    record = SimpleNamespace(
        id=7, name="Grace", email="grace@example.com", password="never shown", role="admin",
        is_active=True, profile=None,
    )  # fmt: skip
    try:
        user = schemas().UserOut.model_validate(record)
    except Exception as error:
        pytest.fail(
            f"UserOut.model_validate(a record) raised {type(error).__name__}: give UserOut "
            f"model_config = ConfigDict(from_attributes=True, ...) in {SCHEMAS}"
        )
    assert user.id == 7 and user.role == "admin", (
        f"UserOut.model_validate(a record) gave {user!r}: check UserOut's fields in {SCHEMAS}"
    )
    assert "password" not in user.model_dump(), (
        f"UserOut has a password field: remove it from UserOut in {SCHEMAS}"
    )


@pytest.mark.exercise("06.2")
def test_user_out_shows_an_example_in_the_docs(client: TestClient) -> None:
    components = body(client.get("/openapi.json")).get("components", {}).get("schemas", {})
    examples = components.get("UserOut", {}).get("examples")
    assert examples, (
        f"the UserOut schema in /openapi.json has no examples: add json_schema_extra="
        f'{{"examples": [USER_EXAMPLE]}} to UserOut\'s model_config in {SCHEMAS}'
    )
    try:
        schemas().UserOut.model_validate(examples[0])
    except Exception as error:
        pytest.fail(f"the UserOut example in /openapi.json is not a valid UserOut: {error}")


def test_user_routes_document_their_models(client: TestClient) -> None:
    paths = body(client.get("/openapi.json")).get("paths", {})
    expected = [
        ("post", USERS, "UserCreate", "takes user_in: UserCreate"),
        ("put", f"{USERS}/{{user_id}}", "UserBase", "takes user_in: UserBase"),
        ("patch", f"{USERS}/{{user_id}}", "UserUpdate", "takes user_in: UserUpdate"),
    ]
    for method, path, model, fix in expected:
        operation = paths.get(path, {}).get(method, {})
        schema = operation.get("requestBody", {}).get("content", {}).get("application/json", {})
        assert schema.get("schema", {}).get("$ref", "").endswith(f"/{model}"), (
            f"{method.upper()} {path} does not take a {model} body: the route in {ROUTES} {fix}"
        )
    answer = paths.get(f"{USERS}/{{user_id}}", {}).get("get", {}).get("responses", {})
    schema = answer.get("200", {}).get("content", {}).get("application/json", {})
    assert schema.get("schema", {}).get("$ref", "").endswith("/UserOut"), (
        f"GET {USERS}/{{user_id}} does not document a UserOut answer: annotate read_user in "
        f"{ROUTES} with -> UserOut"
    )


def test_the_schema_agrees_with_what_the_app_accepts(client: TestClient) -> None:
    # A client generated from /openapi.json (or a fuzzer) sends what the schema allows.
    components = body(client.get("/openapi.json")).get("components", {}).get("schemas", {})
    update = components.get("UserUpdate", {}).get("properties", {})
    for field in ("name", "email"):
        nullable = "null" in str(update.get(field, {}))
        assert update.get(field) and not nullable, (
            f"the schema of UserUpdate.{field} allows null ({update.get(field)}), which PATCH "
            f"refuses: type it {field}: ... | SkipJsonSchema[None] = None in UserUpdate ({SCHEMAS})"
        )
    password = components.get("UserCreate", {}).get("properties", {}).get("password", {})
    assert password.get("maxLength") == 72 and "bytes" in password.get("description", ""), (
        f"the schema of UserCreate.password is {password}: give the field "
        f"max_length=PASSWORD_MAX_BYTES and a description that says 72 bytes ({SCHEMAS})"
    )


# --- signing up ------------------------------------------------------------------------


def test_sign_up_answers_201_with_the_user_and_no_password(client: TestClient) -> None:
    email = new_email()
    payload = {"name": "Ada Lovelace", "email": email, "password": PASSWORD}
    r = client.post(USERS, json=payload)
    assert r.status_code == 201, (
        f"POST {USERS} answered {why(r)}: create_user in {ROUTES} takes a "
        f"UserCreate and answers 201"
    )
    user = body(r)
    expected = {"name": "Ada Lovelace", "email": email, "role": "user", "is_active": True}
    assert isinstance(user, dict) and expected.items() <= user.items(), (
        f"POST {USERS} answered {user!r}: answer the new user as a UserOut (role 'user' and "
        f"is_active true by default) from create_user in {ROUTES}"
    )
    assert isinstance(user.get("id"), int), f"the new user has no integer id: see {ROUTES}"
    assert_no_password(r, f"POST {USERS}", PASSWORD)


@pytest.mark.until(16, "chapter 17: signing up never grants a role, only an admin does")
def test_sign_up_keeps_the_role_and_the_nested_profile(client: TestClient) -> None:
    profile = {"bio": "First programmer", "website": "https://example.com/ada"}
    user = sign_up(client, role="admin", profile=profile)
    assert user.get("role") == "admin" and user.get("profile") == profile, (
        f"signing up with a role and a profile answered {user!r}: store role and profile in "
        f"create_user ({ROUTES}), and give UserOut both fields ({SCHEMAS})"
    )
    r = client.get(f"{USERS}/{user['id']}")
    assert r.status_code == 200 and body(r) == user, (
        f"GET {USERS}/{user['id']} answered {why(r)}, not the user just "
        f"created: read_user in {ROUTES} answers UserOut.model_validate(the record)"
    )
    assert_no_password(r, f"GET {USERS}/{{user_id}}", PASSWORD)


@pytest.mark.parametrize(
    ("field", "changes"),
    [
        pytest.param("email", {"email": "not-an-email"}, id="bad email"),
        pytest.param("name", {"name": "A"}, id="name of 1 character"),
        pytest.param("name", {"name": "A" * 51}, id="name of 51 characters"),
        pytest.param("password", {"password": "short"}, id="password of 5 characters"),
        # 37 characters, but 74 bytes in UTF-8: over bcrypt's limit
        pytest.param(
            "password",
            {"password": "é" * 37},
            id="password of 74 bytes",
            marks=pytest.mark.exercise("06.1"),
        ),
        pytest.param(
            "role",
            {"role": "root"},
            id="unknown role",
            marks=pytest.mark.until(
                16, "chapter 17: UserCreate has no role; a role sent is ignored"
            ),
        ),
        pytest.param("website", {"profile": {"website": "not a url"}}, id="website not a url"),
        pytest.param("bio", {"profile": {"bio": "b" * 501}}, id="bio of 501 characters"),
    ],
)
def test_sign_up_refuses_invalid_input_naming_the_field(
    client: TestClient, request: pytest.FixtureRequest, field: str, changes: dict[str, Any]
) -> None:
    payload = {"name": "Ada Lovelace", "email": new_email(), "password": PASSWORD, **changes}
    r = client.post(USERS, json=payload)
    case = request.node.callspec.id
    fix = {
        "password of 5 characters": "min_length=8 to password in UserCreate",
        "password of 74 bytes": "to password_fits_bcrypt in UserCreate: refuse "
        "len(password.encode()) > PASSWORD_MAX_BYTES",
        "unknown role": "role: Role to UserCreate",
        "website not a url": "website: HttpUrl | None to Profile",
        "bio of 501 characters": "max_length=500 to bio in Profile",
    }.get(case, f"the constraints of {field} to UserBase")
    assert r.status_code == 422, (
        f"POST {USERS} with a {case} answered {why(r)}, not 422: add {fix} ({SCHEMAS})"
    )
    assert field in r.text, f"the 422 for a {case} does not name the field {field!r}"


@pytest.mark.exercise("06.1")
def test_a_password_of_exactly_72_bytes_is_accepted(client: TestClient) -> None:
    password = "é" * 36  # 36 characters, 72 bytes
    r = client.post(USERS, json={"name": "Ada", "email": new_email(), "password": password})
    assert r.status_code == 201, (
        f"a password of exactly 72 bytes answered {why(r)}: password_fits_bcrypt in "
        f"{SCHEMAS} must refuse only more than PASSWORD_MAX_BYTES bytes"
    )


def test_an_email_already_registered_conflicts_in_any_case(client: TestClient) -> None:
    user = sign_up(client)
    again = {"name": "Someone Else", "email": user["email"].upper(), "password": PASSWORD}
    r = client.post(USERS, json=again)
    assert r.status_code == 409, (
        f"signing up twice with {user['email']} (once in capitals) answered {r.status_code}, "
        f"not 409: create_user in {ROUTES} must compare emails case-insensitively"
    )
    assert "Email already registered" in r.text, (
        f"the 409 says {body(r)!r}: its message is 'Email already registered' ({ROUTES})"
    )


# --- reading --------------------------------------------------------------------------


def test_list_and_search_answer_users_without_passwords(client: TestClient, as_admin: None) -> None:
    user = sign_up(client, name="Searchable Hopper")
    r = client.get(USERS, params={"size": 100})
    assert r.status_code == 200, (
        f"GET {USERS} answered {why(r)}: list_users in {ROUTES} answers list[UserOut]"
    )
    assert_no_password(r, f"GET {USERS}", PASSWORD, *SEEDED_PASSWORDS)
    r = client.get(f"{USERS}/search", params={"q": "searchable"})
    assert r.status_code == 200, f"GET {USERS}/search answered {why(r)}: see {ROUTES}"
    results = body(r).get("results", [])
    assert user in results, (
        f"GET {USERS}/search?q=searchable answered {results!r}, without the user 'Searchable "
        f"Hopper' just created, as a UserOut: fix search_users in {ROUTES}"
    )
    assert_no_password(r, f"GET {USERS}/search", PASSWORD, *SEEDED_PASSWORDS)


def test_unknown_user_is_404(client: TestClient, as_admin: None) -> None:
    for method in ("GET", "PUT", "PATCH", "DELETE"):
        json = {"name": "Nobody", "email": new_email()} if method in ("PUT", "PATCH") else None
        r = client.request(method, f"{USERS}/999999", json=json)
        assert r.status_code == 404 and "User 999999 not found" in r.text, (
            f"{method} {USERS}/999999 answered {why(r)}: answer 404 "
            f"'User 999999 not found' ({ROUTES})"
        )


# --- changing -------------------------------------------------------------------------


def test_put_replaces_name_and_email(client: TestClient, as_admin: None) -> None:
    user = sign_up(client)
    email = new_email()
    r = client.put(f"{USERS}/{user['id']}", json={"name": "Ada King", "email": email})
    assert r.status_code == 200, (
        f"PUT {USERS}/{{user_id}} answered {why(r)}: replace_user in {ROUTES} takes a UserBase"
    )
    assert {"name": body(r).get("name"), "email": body(r).get("email")} == {
        "name": "Ada King",
        "email": email,
    }, f"PUT answered {body(r)!r}: replace_user in {ROUTES} sets both name and email"
    assert_no_password(r, f"PUT {USERS}/{{user_id}}", PASSWORD)
    r = client.put(f"{USERS}/{user['id']}", json={"name": "Ada King"})
    assert r.status_code == 422 and "email" in r.text, (
        f"PUT without an email answered {r.status_code}: PUT replaces, so UserBase requires it"
    )


def test_put_refuses_the_email_of_another_user(client: TestClient, as_admin: None) -> None:
    first, second = sign_up(client), sign_up(client)
    r = client.put(f"{USERS}/{second['id']}", json={"name": "Copy", "email": first["email"]})
    assert r.status_code == 409 and "Email already registered" in r.text, (
        f"PUT with another user's email answered {r.status_code}, not 409 'Email already "
        f"registered': check the email in replace_user ({ROUTES})"
    )
    r = client.put(f"{USERS}/{first['id']}", json={"name": "Same", "email": first["email"]})
    assert r.status_code == 200, (
        f"PUT keeping the user's own email answered {r.status_code}: a user's own email is "
        f"not taken (replace_user in {ROUTES})"
    )


@pytest.mark.exercise("06.3")
def test_patch_changes_only_the_fields_it_is_sent(client: TestClient, as_admin: None) -> None:
    profile = {"bio": "Analyst", "website": "https://example.com/"}
    user = sign_up(client, profile=profile)
    url = f"{USERS}/{user['id']}"
    r = client.patch(url, json={"name": "Ada Byron"})
    assert r.status_code == 200, (
        f"PATCH {USERS}/{{user_id}} answered {r.status_code}: finish update_user in {ROUTES}"
    )
    expected = {**user, "name": "Ada Byron"}
    assert body(r) == expected, (
        f"PATCH with only a name answered {body(r)!r}: update_user in {ROUTES} must change "
        f"only the fields sent (model_dump(exclude_unset=True)), and keep email and profile"
    )
    assert body(client.get(url)) == expected, (
        f"after PATCH, GET {USERS}/{{user_id}} shows the old user: set the changes on the "
        f"stored record in update_user ({ROUTES})"
    )
    assert_no_password(r, f"PATCH {USERS}/{{user_id}}", PASSWORD)
    r = client.patch(url, json={"profile": None})
    assert r.status_code == 200 and body(r) == {**expected, "profile": None}, (
        f"PATCH with profile null answered {why(r)} {body(r)!r}: a field sent as null is "
        f"sent, so update_user in {ROUTES} clears it; keep exclude_unset=True, not "
        f"exclude_none=True"
    )


@pytest.mark.exercise("06.3")
def test_patch_validates_what_it_is_sent(client: TestClient, as_admin: None) -> None:
    first, second = sign_up(client), sign_up(client)
    url = f"{USERS}/{second['id']}"
    r = client.patch(url, json={"name": "A"})
    assert r.status_code == 422 and "name" in r.text, (
        f"PATCH with a one-letter name answered {r.status_code}, not 422: UserUpdate's name has "
        f"the constraints of UserBase's ({SCHEMAS})"
    )
    r = client.patch(url, json={"email": first["email"].upper()})
    assert r.status_code == 409 and "Email already registered" in r.text, (
        f"PATCH with another user's email answered {r.status_code}, not 409 'Email already "
        f"registered': check a changed email in update_user ({ROUTES})"
    )
    r = client.patch(url, json={"email": second["email"]})
    assert r.status_code == 200, (
        f"PATCH with the user's own email answered {why(r)}: a user's own email is not taken; "
        f"pass owner=user_id to ensure_email_is_free in update_user ({ROUTES})"
    )


def test_delete_answers_204_and_the_user_is_gone(client: TestClient, as_admin: None) -> None:
    user = sign_up(client)
    r = client.delete(f"{USERS}/{user['id']}")
    assert r.status_code == 204 and not r.content, (
        f"DELETE {USERS}/{{user_id}} answered {r.status_code} {r.text!r}: 204, no body ({ROUTES})"
    )
    assert client.get(f"{USERS}/{user['id']}").status_code == 404, (
        f"after DELETE, GET {USERS}/{{user_id}} still finds the user: remove it from USERS"
    )
