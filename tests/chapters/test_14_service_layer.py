"""Chapter 14: thin routes, services and repositories, domain errors mapped to HTTP once.

The services are called here as a script would call them: no HTTP, an AsyncSession
of the test's own on the check's database (SQLite or PostgreSQL), read back with
the tests' own connection. The routes are checked through HTTP, with the service
swapped by dependency_overrides; the layers, by reading the source.
"""

from __future__ import annotations

import ast
import asyncio
import time
from collections.abc import Awaitable, Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from conftest import (
    admin_headers,
    body,
    import_app_module,
    lent_out,
    locked_session,
    outcome,
    said,
    stored_value,
    unique,
    why,
)
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import Engine
from sqlalchemy.exc import OperationalError
from sqlalchemy.ext.asyncio import AsyncSession, create_async_engine

from workbook.server import LiveServer

USERS = "/api/v1/users"
USERS_ROUTES = "app/api/v1/routes/users.py"
ITEMS_ROUTES = "app/api/v1/routes/items.py"
USER_SERVICE = "app/services/users.py"
ITEM_SERVICE = "app/services/items.py"
USER_REPOSITORY = "app/repositories/users.py"
ERRORS = "app/core/errors.py"
DEPS = "app/api/deps.py"
PASSWORD = "a-long-secret-1"


def run_in_a_session(database_url: str, scenario: Callable[[AsyncSession], Awaitable[Any]]) -> Any:
    """Run scenario(db) on an AsyncSession of the test's own, as a script would.

    The engine is made, used and disposed inside this event loop: an asyncpg
    connection belongs to the loop that opened it (the app's engine serves the
    TestClient's loop, not this one).
    """
    to_async = getattr(import_app_module("app.db.session"), "async_database_url", None)
    if to_async is None:
        pytest.fail("app/db/session.py defines no async_database_url(url): see chapter 13")

    async def main() -> Any:
        url = to_async(database_url)
        sqlite = url.get_backend_name() == "sqlite"
        engine = create_async_engine(url, connect_args={"timeout": 30} if sqlite else {})
        try:
            async with AsyncSession(engine, autoflush=False, expire_on_commit=False) as db:
                return await scenario(db)
        finally:
            await engine.dispose()

    return asyncio.run(main())


def user_service(db: AsyncSession) -> Any:
    services = import_app_module("app.services.users")
    repositories = import_app_module("app.repositories.users")
    return services.UserService(repositories.UserRepository(db))


def sign_up_data(email: str, name: str = "Sol", profile: Any = None) -> Any:
    schemas = import_app_module("app.schemas.user")
    return schemas.UserCreate(name=name, email=email, password=PASSWORD, profile=profile)


# --- the layers ----------------------------------------------------------------------------


def imported_modules(tree: ast.AST) -> list[tuple[int, str]]:
    found: list[tuple[int, str]] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module:
            # `from app.core import errors` imports app.core.errors.
            found.append((node.lineno, node.module))
            found += [(node.lineno, f"{node.module}.{alias.name}") for alias in node.names]
    return found


def layer_problems(path: Path, app_dir: Path, forbidden: tuple[str, ...]) -> list[str]:
    """Where the file imports a forbidden module, or a module inside one."""
    where = path.relative_to(app_dir)
    tree = ast.parse(path.read_text())
    found: dict[int, str] = {}
    for line, module in imported_modules(tree):
        if any(module == banned or module.startswith(f"{banned}.") for banned in forbidden):
            found.setdefault(line, module)  # one report per import line
    return [f"{where}:{line} imports {module}" for line, module in sorted(found.items())]


@pytest.mark.exercise("14.4")
def test_each_layer_imports_only_what_it_may(app: FastAPI, app_dir: Path) -> None:
    routes = [app_dir / USERS_ROUTES, app_dir / ITEMS_ROUTES]
    missing = [str(p.relative_to(app_dir)) for p in routes if not p.is_file()]
    assert not missing, f"{', '.join(missing)} not found: run the chapter's %%app cells"
    problems: list[str] = []
    for path in routes:
        where = path.relative_to(app_dir)
        problems += layer_problems(path, app_dir, ("sqlalchemy", "sqlmodel"))
        tree = ast.parse(path.read_text())
        problems += [
            f"{where}:{n.lineno} has a try:" for n in ast.walk(tree) if isinstance(n, ast.Try)
        ]
        problems += [
            f"{where}:{n.lineno} names SessionDep"
            for n in ast.walk(tree)
            if isinstance(n, ast.Name) and n.id == "SessionDep"
        ]
    assert not problems, (
        f"a route does more than HTTP: {'; '.join(problems[:3])}: call the service "
        f"(UserServiceDep, ItemServiceDep) and let app/core/errors.py map its errors"
    )
    below = [
        path
        for folder in ("services", "repositories", "domain")
        for path in sorted((app_dir / "app" / folder).rglob("*.py"))
    ]
    assert below, "app/services, app/repositories and app/domain are empty: run the %%app cells"
    for path in below:
        # app.core.errors holds the HTTP errors; app.core.security and config are fine.
        banned = ("fastapi", "starlette", "app.api", "app.core.errors")
        problems += layer_problems(path, app_dir, banned)
        tree = ast.parse(path.read_text())
        problems += [
            f"{path.relative_to(app_dir)}:{n.lineno} names {n.attr}"
            for n in ast.walk(tree)
            if isinstance(n, ast.Attribute) and n.attr.startswith("HTTP_")
        ]
    assert not problems, (
        f"{'; '.join(problems[:3])}: services, repositories and domain errors know nothing "
        f"of HTTP: raise NotFound or AlreadyExists (app/domain/errors.py), and map them to "
        f"a status once, in DOMAIN_ERRORS ({ERRORS})"
    )


# --- services, without HTTP ------------------------------------------------------------------


@pytest.mark.exercise("14.2")
def test_user_service_works_without_http(
    client: TestClient, database_url: str, own_engine: Engine
) -> None:
    errors = import_app_module("app.domain.errors")
    schemas = import_app_module("app.schemas.user")
    email = f"{unique('sol')}@example.com"

    async def scenario(db: AsyncSession) -> dict[str, Any]:
        users = user_service(db)
        seen: dict[str, Any] = {"missing": await outcome(users.get(999_999))}
        profile = {"bio": "Solver", "website": "https://example.com/sol"}
        created = seen["created"] = await outcome(
            users.sign_up(sign_up_data(email, "Sol", profile))
        )
        if isinstance(created, Exception):
            return seen
        seen["stored_email"] = stored_value(
            own_engine, "SELECT email FROM users WHERE id = :id", id=created.id
        )
        change = schemas.UserUpdate(name="Sol Renamed")
        seen["updated"] = await outcome(users.update(created.id, change))
        seen["stored_name"] = stored_value(
            own_engine, "SELECT name FROM users WHERE id = :id", id=created.id
        )
        seen["deleted"] = await outcome(users.delete(created.id))
        seen["gone"] = await outcome(users.get(created.id))
        return seen

    seen = run_in_a_session(database_url, scenario)
    missing = seen["missing"]
    assert isinstance(missing, errors.NotFound) and "999999" in str(missing), (
        f"UserService.get(999999) gave {said(missing)}, not NotFound naming the id: "
        f'raise NotFound(f"User {{user_id}} not found") when the repository finds none '
        f"({USER_SERVICE})"
    )
    created = seen["created"]
    assert not isinstance(created, Exception) and getattr(created, "id", None), (
        f"UserService.sign_up of a user with a profile gave {said(created)}: build the User "
        f'from the UserCreate (the profile as plain values, model_dump(mode="json")), '
        f"add it through the repository, then commit ({USER_SERVICE})"
    )
    assert seen["stored_email"] == email, (
        f"UserService.sign_up answered user {created.id}, but no row of users holds {email}: "
        f"await self.users.commit() after self.users.add(user) ({USER_SERVICE})"
    )
    assert seen["stored_name"] == "Sol Renamed", (
        f"UserService.update gave {said(seen['updated'])} and the row's name is "
        f"{seen['stored_name']!r}: set the fields the UserUpdate sets, then commit "
        f"({USER_SERVICE})"
    )
    left = stored_value(own_engine, "SELECT count(*) FROM users WHERE id = :id", id=created.id)
    assert left == 0 and isinstance(seen["gone"], errors.NotFound), (
        f"UserService.delete gave {said(seen['deleted'])} and left {left} row; get() after "
        f"it gave {said(seen['gone'])}: delete through the repository, then commit "
        f"({USER_SERVICE})"
    )


@pytest.mark.exercise("14.1", "14.2")
def test_a_taken_email_raises_already_exists_and_leaves_one_row(
    client: TestClient, database_url: str, own_engine: Engine
) -> None:
    errors = import_app_module("app.domain.errors")
    email = f"{unique('twice')}@example.com"

    async def scenario(db: AsyncSession) -> tuple[Any, Any]:
        users = user_service(db)
        first = await outcome(users.sign_up(sign_up_data(email)))
        again = await outcome(users.sign_up(sign_up_data(email.upper())))
        return first, again

    first, again = run_in_a_session(database_url, scenario)
    rows = stored_value(own_engine, "SELECT count(*) FROM users WHERE lower(email) = :e", e=email)
    assert not isinstance(first, Exception) and rows == 1, (
        f"two sign_up with {email} (the second upper-cased) gave {said(first)} then "
        f"{said(again)}, and left {rows} rows, not 1 ({USER_SERVICE})"
    )
    assert isinstance(again, errors.AlreadyExists) and "Email already registered" in str(again), (
        f'sign_up with a taken email gave {said(again)}, not AlreadyExists("Email already '
        f'registered"): catch IntegrityError in UserRepository.commit ({USER_REPOSITORY}), '
        f"and commit through it, await self.users.commit() ({USER_SERVICE})"
    )


@pytest.mark.exercise("14.1")
def test_a_script_goes_on_after_a_taken_email(
    client: TestClient, database_url: str, own_engine: Engine
) -> None:
    """An import job signs up a list of people on one session and skips the taken emails."""
    errors = import_app_module("app.domain.errors")
    taken, fresh = (f"{unique(name)}@example.com" for name in ("taken", "fresh"))

    async def scenario(db: AsyncSession) -> list[Any]:
        users = user_service(db)
        results = []
        for email in (taken, taken, fresh):
            results.append(await outcome(users.sign_up(sign_up_data(email))))
        return results

    results = run_in_a_session(database_url, scenario)
    assert not isinstance(results[0], Exception), (
        f"UserService.sign_up of a new email gave {said(results[0])} ({USER_SERVICE})"
    )
    stored = stored_value(own_engine, "SELECT count(*) FROM users WHERE email = :e", e=fresh)
    assert isinstance(results[1], errors.AlreadyExists) and stored == 1, (
        f"on one session, sign_up of a taken email gave {said(results[1])}, then the next "
        f"sign_up gave {said(results[2])}: the failed transaction must be rolled back "
        f"(await self.db.rollback()) before AlreadyExists is raised ({USER_REPOSITORY})"
    )


def test_item_service_filters_and_pages(
    client: TestClient, database_url: str, own_engine: Engine
) -> None:
    services = import_app_module("app.services.items")
    repositories = import_app_module("app.repositories.items")
    schemas = import_app_module("app.schemas.item")
    tag = unique("svc")

    async def scenario(db: AsyncSession) -> Any:
        items = services.ItemService(repositories.ItemRepository(db))
        for name, tags, price in [
            ("Cheap", [tag], 4.0),
            ("Middle", [tag], 6.0),
            ("Other tag", [f"x{tag}"], 7.0),
            ("Dear", [tag, "sale"], 8.0),
        ]:
            await items.create(schemas.ItemCreate(name=name, price=price, tags=tags))
        query = repositories.ItemQuery(tag=tag, min_price=5, offset=1, limit=1)
        return await outcome(items.page(query))

    answer = run_in_a_session(database_url, scenario)
    got = (
        answer if isinstance(answer, Exception) else (answer[0], [item.name for item in answer[1]])
    )
    assert got == (2, ["Dear"]), (
        f"ItemService.page(ItemQuery(tag, min_price=5, offset=1, limit=1)) gave {said(got)}, "
        f"not 2 and ['Dear']: count and page the rows that pass conditions(query), ordered "
        f"by id (app/repositories/items.py)"
    )


@pytest.mark.exercise("14.1")
def test_only_a_refused_insert_is_a_taken_email(app: FastAPI) -> None:
    """A locked database or a lost connection is a bug to see (a 500), not a 409."""
    repositories = import_app_module("app.repositories.users")
    got = asyncio.run(outcome(repositories.UserRepository(locked_session()).commit()))
    assert isinstance(got, OperationalError), (
        f"UserRepository.commit, when the commit fails with OperationalError (database is "
        f"locked), gave {said(got)}: catch IntegrityError only, the unique index's refusal; "
        f"any other failure is a bug that must reach the 500 handler ({USER_REPOSITORY})"
    )


# --- one mapping from domain errors to HTTP ------------------------------------------------


@pytest.mark.exercise("14.3", "14.4")
def test_domain_errors_answer_http_through_one_table(client: TestClient, as_admin: None) -> None:
    errors = import_app_module("app.core.errors")
    domain = import_app_module("app.domain.errors")
    table = getattr(errors, "DOMAIN_ERRORS", {})
    statuses = {
        kind.__name__: getattr(table.get(kind), "status_code", None)
        for kind in (domain.NotFound, domain.AlreadyExists)
    }
    assert statuses == {"NotFound": 404, "AlreadyExists": 409}, (
        f"DOMAIN_ERRORS gives the statuses {statuses}: map NotFound to NotFoundError and "
        f"AlreadyExists to ConflictError ({ERRORS})"
    )
    r = client.get(f"{USERS}/999999")
    wanted = {"code": "not_found", "message": "User 999999 not found", "details": None}
    assert r.status_code == 404 and body(r) == {"error": wanted}, (
        f"GET {USERS}/999999 answered {why(r)}: the service raises NotFound, and "
        f"handle_domain_error answers the envelope of NotFoundError with its message "
        f"({ERRORS}, registered in register_exception_handlers)"
    )
    email = f"{unique('dup')}@example.com"
    client.post(USERS, json={"name": "Dana", "email": email, "password": PASSWORD})
    again = client.post(USERS, json={"name": "Dana", "email": email, "password": PASSWORD})
    code = body(again).get("error", {}).get("code") if isinstance(body(again), dict) else None
    assert again.status_code == 409 and code == "conflict", (
        f"a second POST {USERS} with one email answered {why(again)}: AlreadyExists maps to "
        f"ConflictError (409, code conflict) in DOMAIN_ERRORS ({ERRORS})"
    )


@pytest.fixture
def fake_users(app: FastAPI) -> Iterator[dict[int, Exception]]:
    """GET /users/{id} served by a fake UserService: get(id) raises what the test puts here."""
    deps = import_app_module("app.api.deps")
    get_user_service = getattr(deps, "get_user_service", None)
    if get_user_service is None:
        pytest.fail(f"{DEPS} defines no get_user_service: see step 6 (thin routes)")
    raises: dict[int, Exception] = {}

    class FakeUserService:
        async def get(self, user_id: int) -> Any:
            raise raises[user_id]

    before = dict(app.dependency_overrides)
    app.dependency_overrides[get_user_service] = FakeUserService
    try:
        yield raises
    finally:
        app.dependency_overrides.clear()
        app.dependency_overrides.update(before)


@pytest.mark.exercise("14.4")
def test_routes_get_the_service_through_dependency_injection(
    client: TestClient, fake_users: dict[int, Exception], as_admin: None
) -> None:
    domain = import_app_module("app.domain.errors")
    fake_users[5] = domain.NotFound("from the fake")
    r = client.get(f"{USERS}/5")
    assert r.status_code == 404 and "from the fake" in r.text, (
        f"GET {USERS}/5 with get_user_service overridden by a fake whose get raises "
        f'NotFound("from the fake") answered {why(r)}: read_user takes users: '
        f"UserServiceDep and returns UserOut.model_validate(await users.get(user_id)) "
        f"({USERS_ROUTES})"
    )


@pytest.mark.exercise("14.3")
def test_a_subclass_maps_like_its_base_and_an_unknown_error_is_a_500(
    client: TestClient, fake_users: dict[int, Exception], as_admin: None
) -> None:
    domain = import_app_module("app.domain.errors")
    gone = type("Gone", (domain.NotFound,), {})
    unmapped = type("Unmapped", (domain.DomainError,), {})
    fake_users[6] = gone("User 6 is gone")
    fake_users[7] = unmapped("no entry for me")
    r = client.get(f"{USERS}/6")
    if r.status_code == 405:
        pytest.fail(f"GET {USERS}/6 is not served yet: read_user comes in exercise 14.4")
    assert r.status_code == 404 and "User 6 is gone" in r.text, (
        f"a subclass of NotFound answered {why(r)}, not 404: look up each class of "
        f"type(exc).__mro__ in DOMAIN_ERRORS, not only type(exc) (handle_domain_error, "
        f"{ERRORS})"
    )
    r = client.get(f"{USERS}/7")
    code = body(r).get("error", {}).get("code") if isinstance(body(r), dict) else None
    assert r.status_code == 500 and code == "internal_error" and "no entry" not in r.text, (
        f"a DomainError in no DOMAIN_ERRORS entry answered {r.status_code} {str(body(r))[:120]}: "
        f"it is a bug: `raise exc`, and the handler of Exception answers the 500 envelope "
        f"without the message (handle_domain_error, {ERRORS})"
    )


# --- a failed request leaves nothing -------------------------------------------------------


@pytest.mark.exercise("14.2")
def test_a_failed_sign_up_leaves_no_partial_row(
    client: TestClient, own_engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    repositories = import_app_module("app.repositories.users")

    async def flush_then_fail(self: Any) -> None:
        # The INSERT reaches the database, inside the open transaction; then a failure.
        db = next(v for v in vars(self).values() if isinstance(v, AsyncSession))
        await db.flush()
        raise RuntimeError("the disk is full")

    monkeypatch.setattr(repositories.UserRepository, "commit", flush_then_fail)
    email = f"{unique('half')}@example.com"
    r = client.post(USERS, json={"name": "Dana", "email": email, "password": PASSWORD})
    rows = stored_value(own_engine, "SELECT count(*) FROM users WHERE email = :e", e=email)
    assert r.status_code == 500 and rows == 0, (
        f"a POST {USERS} that failed after its INSERT answered {why(r)} and left {rows} rows: "
        f"only UserRepository.commit commits; get_db closes the session, which rolls back "
        f"({USER_SERVICE}, app/db/session.py)"
    )
    assert lent_out() == 0, (
        f"{lent_out()} connections are still lent out after the requests: get_db must close "
        f"the session, `async with SessionLocal() as db` (app/db/session.py)"
    )


# --- for real: an unmapped domain error under uvicorn ------------------------------------

PROBE = """
# The app, with a UserService whose get raises a domain error that DOMAIN_ERRORS lacks.
from app.api.deps import get_user_service
from app.domain.errors import DomainError
from app.main import app


class Forgotten(DomainError):
    pass


class ForgetfulUserService:
    async def get(self, user_id: int) -> object:
        raise Forgotten(f"nobody mapped me ({user_id})")


app.dependency_overrides[get_user_service] = ForgetfulUserService
"""


@pytest.mark.slow
@pytest.mark.exercise("14.3")
def test_an_unmapped_domain_error_reaches_the_server_log(
    app_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Under uvicorn: a bug answers the 500 envelope, and its traceback is in the log."""
    (tmp_path / "ch14_probe.py").write_text(PROBE)
    monkeypatch.setenv("PYTHONPATH", str(tmp_path))
    with LiveServer(app_dir, "ch14_probe:app") as server:
        # An admin's token: from chapter 17 on, GET /users/{id} answers that user or an admin.
        r = server.get(f"{USERS}/7", headers=admin_headers(server))
        # uvicorn logs the traceback once the response is sent: give it a moment.
        deadline = time.monotonic() + 5
        while "Forgotten" not in server.log() and time.monotonic() < deadline:
            time.sleep(0.05)
        log = server.log()
    code = body(r).get("error", {}).get("code") if isinstance(body(r), dict) else None
    assert r.status_code == 500 and code == "internal_error", (
        f"under uvicorn, a DomainError in no DOMAIN_ERRORS entry answered {r.status_code} "
        f"{str(body(r))[:120]}, not the 500 envelope (handle_domain_error, {ERRORS})"
    )
    assert "Forgotten" in log and "Traceback" in log, (
        f"under uvicorn, a DomainError in no DOMAIN_ERRORS entry left no traceback in the "
        f"server's log: `raise exc` in handle_domain_error, so that the handler of Exception "
        f"answers and uvicorn logs it; a returned 500 hides the bug ({ERRORS})"
    )
