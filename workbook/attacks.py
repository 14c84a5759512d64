"""The attack suite: what an attacker tries against the app, from chapter 18's checkpoint on.

`make_world` sets up a small world over HTTP (an admin, two users A and B
with an item each, and from chapter 22 on an order of B's, a victim for brute force,
a user deleted since their login),
then `attack_all` runs every attack in ATTACKS and answers one Outcome per request: what was
tried, the statuses that would be right, and what the app answered. The test
(tests/workbook/test_attack_suite.py) starts the server, reads the database
before and after, and fails on any outcome that is not ok.

Tokens are forged with python-jose, as an attacker would; one attack needs the
server's real key (HS512 with the right key, an expired token), which the test
sets through SECRET_KEY.
"""

from __future__ import annotations

import base64
import json
import re
import socket
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

import httpx
from jose import jwt  # type: ignore[import-untyped]

API = "/api/v1"
TOKEN = f"{API}/auth/token"
USERS = f"{API}/users"
ITEMS = f"{API}/items"
ME = f"{USERS}/me"
ORDERS = f"{API}/orders"  # chapter 22 on

# A bcrypt hash as passlib writes it: $2b$, the cost, 53 characters of bcrypt's base64.
BCRYPT_HASH = re.compile(r"\$2[abxy]\$\d{2}\$[./A-Za-z0-9]{53}")

# The keys an attacker guesses first: tutorials', frameworks' and the guide's defaults.
GUESSED_KEYS = ("CHANGE_ME", "secret", "changeme", "your-secret-key", "supersecret")

SQL_INJECTIONS = (
    "' OR '1'='1",
    "'; DROP TABLE users; --",
    '" OR ""="',
    "1 UNION SELECT password_hash FROM users --",
    "%' --",
)

EVIL_ORIGIN = "https://evil.example"
HUGE_BODY = 12 * 1024 * 1024  # 12 MiB


@dataclass(frozen=True)
class Outcome:
    """One attempt: what was tried, which statuses are right, what the app answered."""

    attack: str
    request: str
    expected: str
    got: str
    ok: bool


@dataclass
class Settings:
    """What the server under attack was started with (the test sets the environment)."""

    secret_key: str
    admin_email: str
    admin_password: str
    allowed_origin: str
    max_failures: int
    max_failures_per_client: int


@dataclass
class Actor:
    """A user the suite created: their id, credentials and an everyday token."""

    id: int
    email: str
    password: str
    token: str = ""
    item_id: int = 0
    order_id: int = 0  # 0: the app has no orders (before chapter 22)

    @property
    def auth(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}


@dataclass
class World:
    """The accounts and items the attacks aim at, made before the database is read."""

    http: httpx.Client
    settings: Settings
    admin: Actor
    a: Actor
    b: Actor
    victim: Actor
    deleted: Actor
    seen: list[httpx.Response] = field(default_factory=list)


class SetupFailed(AssertionError):
    """The world could not be made: the app is broken before any attack."""


def _expect(response: httpx.Response, status: int, what: str) -> httpx.Response:
    if response.status_code != status:
        raise SetupFailed(f"{what}: {response.status_code} {response.text[:300]}")
    return response


def login(http: httpx.Client, email: str, password: str, scope: str = "") -> httpx.Response:
    return http.post(TOKEN, data={"username": email, "password": password, "scope": scope})


def sign_up(http: httpx.Client, name: str, password: str) -> Actor:
    email = f"{name.lower()}-{time.monotonic_ns()}@example.com"
    r = _expect(
        http.post(USERS, json={"name": name, "email": email, "password": password}),
        201,
        f"signing up {name}",
    )
    actor = Actor(id=r.json()["id"], email=email, password=password)
    actor.token = _expect(login(http, email, password), 200, f"{name} logging in").json()[
        "access_token"
    ]
    return actor


def make_world(http: httpx.Client, seen: list[httpx.Response], settings: Settings) -> World:
    """The admin logs in; A and B sign up and add an item each; the deleted user is deleted."""
    token = _expect(
        login(http, settings.admin_email, settings.admin_password, "admin users:write items:write"),
        200,
        "the first admin logging in",
    ).json()["access_token"]
    admin = Actor(id=0, email=settings.admin_email, password=settings.admin_password, token=token)
    admin.id = _expect(http.get(ME, headers=admin.auth), 200, "GET /users/me as admin").json()["id"]
    a, b = sign_up(http, "Anna", "anna-password-1"), sign_up(http, "Bert", "bert-password-1")
    for actor in (a, b):
        item = {"name": f"{actor.email} lamp", "price": 12.5}
        r = _expect(http.post(ITEMS, json=item, headers=actor.auth), 201, "adding an item")
        actor.item_id = r.json()["id"]
    # From chapter 22 on, B orders their own item: the order A must not read.
    if http.get(f"{ORDERS}/limits", headers=b.auth).status_code == 200:
        lines = [{"item_id": b.item_id, "quantity": 2}]
        r = _expect(http.post(ORDERS, json={"lines": lines}, headers=b.auth), 201, "B ordering")
        b.order_id = r.json()["id"]
    victim = sign_up(http, "Vera", "vera-password-1")
    deleted = sign_up(http, "Dora", "dora-password-1")
    _expect(
        http.delete(f"{USERS}/{deleted.id}", headers=admin.auth), 204, "the admin deleting Dora"
    )
    return World(http, settings, admin, a, b, victim, deleted, seen)


# --- forging tokens ---------------------------------------------------------------------


def _b64(data: dict[str, Any]) -> str:
    raw = json.dumps(data, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def claims_for(
    user_id: int, *, seconds: int = 600, scope: str = "items:write users:write"
) -> dict[str, Any]:
    now = datetime.now(UTC)
    return {
        "sub": str(user_id),
        "iat": int(now.timestamp()),
        "exp": int((now + timedelta(seconds=seconds)).timestamp()),
        "scope": scope,
    }


def unsigned_token(claims: dict[str, Any]) -> str:
    """`alg: none`: a header that says no signature is needed, and none."""
    return f"{_b64({'alg': 'none', 'typ': 'JWT'})}.{_b64(claims)}."


def signed(claims: dict[str, Any], key: str, algorithm: str = "HS256") -> str:
    return str(jwt.encode(claims, key, algorithm=algorithm))


def tampered(token: str, user_id: int) -> str:
    """A real token whose claims now name another user; the signature is the old one."""
    header, payload, signature = token.split(".")
    claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    return f"{header}.{_b64({**claims, 'sub': str(user_id)})}.{signature}"


# --- the attacks ---------------------------------------------------------------------------

Attack = Callable[[World], Iterator[Outcome]]
ATTACKS: list[Attack] = []  # in the order they run


def attack(function: Attack) -> Attack:
    """Register an attack: a function of the world that yields one Outcome per request."""
    ATTACKS.append(function)
    return function


def outcome(
    name: str, r: httpx.Response, allowed: set[int], extra_ok: bool = True, note: str = ""
) -> Outcome:
    request = f"{r.request.method} {r.request.url.raw_path.decode()[:90]}{note}"
    expected = " or ".join(str(status) for status in sorted(allowed))
    got = str(r.status_code)
    return Outcome(name, request, expected, got, r.status_code in allowed and extra_ok)


def refused_token(name: str, w: World, token: str, note: str) -> Outcome:
    """GET /users/me with the token: 401 with a Bearer challenge."""
    r = w.http.get(ME, headers={"Authorization": f"Bearer {token}"})
    challenged = r.headers.get("www-authenticate", "").startswith("Bearer")
    return outcome(name, r, {401}, challenged, f" ({note})")


@attack
def no_token(w: World) -> Iterator[Outcome]:
    for method, path, body in (
        ("GET", ME, None),
        ("PATCH", f"{ITEMS}/{w.b.item_id}", {"price": 0.01}),
        ("DELETE", f"{ITEMS}/{w.b.item_id}", None),
        ("PATCH", f"{USERS}/{w.b.id}", {"name": "Owned"}),
        ("DELETE", f"{USERS}/{w.b.id}", None),
    ):
        r = w.http.request(method, path, json=body)
        challenged = r.headers.get("www-authenticate", "").startswith("Bearer")
        yield outcome("no token", r, {401}, challenged)


@attack
def garbage_token(w: World) -> Iterator[Outcome]:
    for token, note in (
        ("garbage", "one word"),
        ("a.b.c", "three parts, none JSON"),
        ("x" * 5000, "5000 characters"),
        (w.a.token[:-4], "a real token cut short"),
    ):
        yield refused_token("garbage token", w, token, note)


@attack
def alg_none(w: World) -> Iterator[Outcome]:
    yield refused_token("alg: none", w, unsigned_token(claims_for(w.a.id)), "unsigned, as A")
    yield refused_token(
        "alg: none", w, unsigned_token(claims_for(w.admin.id)), "unsigned, as the admin"
    )


@attack
def guessed_key(w: World) -> Iterator[Outcome]:
    for key in GUESSED_KEYS:
        yield refused_token(
            "guessed HS256 key", w, signed(claims_for(w.admin.id), key), f"key {key!r}"
        )


@attack
def tampered_claims(w: World) -> Iterator[Outcome]:
    yield refused_token(
        "tampered claims", w, tampered(w.a.token, w.admin.id), "A's token, sub = admin"
    )


@attack
def expired(w: World) -> Iterator[Outcome]:
    token = signed(claims_for(w.a.id, seconds=-60), w.settings.secret_key)
    yield refused_token("expired token", w, token, "right key, expired a minute ago")
    no_exp = {k: v for k, v in claims_for(w.a.id).items() if k != "exp"}
    yield refused_token(
        "expired token", w, signed(no_exp, w.settings.secret_key), "right key, no exp"
    )


@attack
def other_hmac(w: World) -> Iterator[Outcome]:
    token = signed(claims_for(w.a.id), w.settings.secret_key, "HS512")
    yield refused_token("HS512 with the right key", w, token, "HS512")


@attack
def deleted_user(w: World) -> Iterator[Outcome]:
    yield refused_token("deleted user's token", w, w.deleted.token, "issued before the deletion")


@attack
def role_at_signup(w: World) -> Iterator[Outcome]:
    email = f"mallory-{time.monotonic_ns()}@example.com"
    body = {"name": "Mallory", "email": email, "password": "mallory-pass-1", "role": "admin"}
    r = w.http.post(USERS, json=body)
    # Accepted as a plain user (chapter 17 ignores the field) or refused: never an admin.
    as_user = r.status_code != 201 or r.json().get("role") == "user"
    yield outcome("role at signup", r, {201, 422}, as_user, ' ("role": "admin")')


@attack
def role_through_update(w: World) -> Iterator[Outcome]:
    mine = f"{USERS}/{w.a.id}"
    r = w.http.patch(mine, json={"role": "admin"}, headers=w.a.auth)
    yield outcome(
        "role through update",
        r,
        {200, 422},
        r.json().get("role", "user") == "user",
        ' (PATCH self "role": "admin")',
    )
    same = {"name": "Anna", "email": w.a.email, "role": "admin"}
    r = w.http.put(mine, json=same, headers=w.a.auth)
    yield outcome(
        "role through update",
        r,
        {200, 422},
        r.json().get("role", "user") == "user",
        ' (PUT self "role": "admin")',
    )
    role_route = f"{API}/admin/users/{w.a.id}/role"
    r = w.http.patch(role_route, json={"role": "admin"}, headers=w.a.auth)
    yield outcome("role through update", r, {401, 403}, note=" (A's own token)")
    asked = (
        login(w.http, w.a.email, w.a.password, "admin users:write").json().get("access_token", "")
    )
    r = w.http.patch(
        role_route, json={"role": "admin"}, headers={"Authorization": f"Bearer {asked}"}
    )
    yield outcome("role through update", r, {401, 403}, note=" (A logged in asking for admin)")


@attack
def a_against_b(w: World) -> Iterator[Outcome]:
    """A's everyday token on B's record and B's item: 403 (or 404); on the admins' listings of
    every user, 401 (the token lacks the admin scope) or 403."""
    theirs = f"{USERS}/{w.b.id}"
    for method, path, body, allowed in (
        ("GET", theirs, None, {403, 404}),
        ("PUT", theirs, {"name": "Owned", "email": w.b.email}, {403, 404}),
        ("PATCH", theirs, {"name": "Owned"}, {403, 404}),
        ("DELETE", theirs, None, {403, 404}),
        ("PATCH", f"{ITEMS}/{w.b.item_id}", {"price": 0.01}, {403, 404}),
        ("DELETE", f"{ITEMS}/{w.b.item_id}", None, {403, 404}),
        ("GET", USERS, None, {401, 403}),
        ("GET", f"{USERS}/search?q=Bert", None, {401, 403}),
    ):
        r = w.http.request(method, path, json=body, headers=w.a.auth)
        yield outcome("user A against user B", r, allowed)


@attack
def orders_of_others(w: World) -> Iterator[Outcome]:
    """A's everyday token on B's order: 403 (or 404); A's listing shows none of B's orders.
    Nothing to try on an app without orders (before chapter 22)."""
    if not w.b.order_id:
        return
    r = w.http.get(f"{ORDERS}/{w.b.order_id}", headers=w.a.auth)
    yield outcome("user A reading B's order", r, {403, 404})
    r = w.http.get(ORDERS, params={"size": 100}, headers=w.a.auth)
    listed = r.json().get("orders") if r.status_code == 200 else None
    # A listing without its "orders" list proves nothing: it counts as a leak, not a pass.
    hidden = isinstance(listed, list) and all(o.get("id") != w.b.order_id for o in listed)
    yield outcome("user A reading B's order", r, {200}, hidden, " (A's listing, without B's)")


@attack
def client_priced_order(w: World) -> Iterator[Outcome]:
    """An order that names its own price or total, or a quantity out of bounds: 422, and
    nothing stored (the test compares the database). Before chapter 22, nothing to try."""
    if not w.b.order_id:
        return
    line = {"item_id": w.a.item_id, "quantity": 1}
    for body, note in (
        ({"lines": [line], "total": "0.01"}, "a total of 0.01"),
        ({"lines": [{**line, "price": 0.01}]}, "a price of 0.01"),
        ({"lines": [{**line, "unit_price": "0.01"}]}, "a unit price of 0.01"),
        ({"lines": [{**line, "quantity": -5}]}, "a quantity of -5"),
        ({"lines": [{**line, "quantity": 101}]}, "a quantity of 101"),
    ):
        r = w.http.post(ORDERS, json=body, headers=w.a.auth)
        yield outcome("client-priced order", r, {422}, note=f" ({note})")


@attack
def sql_injection(w: World) -> Iterator[Outcome]:
    """Every string parameter of every GET route, as the admin (who may read the most)."""
    document = w.http.get("/openapi.json").json()
    for path, operations in document["paths"].items():
        get = operations.get("get")
        if not get or path.endswith("/events"):
            continue  # /events streams for as long as the client listens
        strings = [p for p in get.get("parameters", []) if _is_string(p.get("schema", {}))]
        for parameter, payload in ((p, s) for p in strings for s in SQL_INJECTIONS):
            url, params = path, {}
            if parameter["in"] == "path":
                url = path.replace("{" + parameter["name"] + "}", payload)
            elif parameter["in"] == "query":
                params = {parameter["name"]: payload} | _required_queries(get, parameter)
            else:
                continue
            r = w.http.get(url, params=params, headers=w.admin.auth)
            leaked = r.status_code == 200 and _lists_someone(r)
            yield outcome("SQL injection", r, {200, 404, 422}, not leaked)
    for payload in SQL_INJECTIONS[:2]:
        r = login(w.http, payload, payload)
        yield outcome("SQL injection", r, {401, 422}, note=" (login form)")


def _is_string(schema: dict[str, Any]) -> bool:
    kinds = [schema, *schema.get("anyOf", [])]
    return any(kind.get("type") == "string" and "format" not in kind for kind in kinds)


def _required_queries(operation: dict[str, Any], but: dict[str, Any]) -> dict[str, str]:
    """The other required query parameters, filled with something valid enough."""
    return {
        p["name"]: "abc"
        for p in operation.get("parameters", [])
        if p["in"] == "query" and p.get("required") and p is not but
    }


def _lists_someone(r: httpx.Response) -> bool:
    """A filter or search that answered rows: an injected OR matched them all."""
    try:
        data = r.json()
    except ValueError:
        return False
    if isinstance(data, dict):
        data = data.get("results") or data.get("items") or []
    return isinstance(data, list) and bool(data)


@attack
def malformed_json(w: World) -> Iterator[Outcome]:
    json_type = {"Content-Type": "application/json"}
    for content, note in (
        (b'{"name": "x",', "cut short"),
        (b"\xff\xfe not utf-8", "not UTF-8"),
        (b"[" * 10_000, "10000 open brackets"),
        (b'{"name": NaN}', "NaN"),
    ):
        r = w.http.post(USERS, content=content, headers=json_type)
        yield outcome("malformed JSON", r, {400, 422}, _is_envelope(r), f" ({note})")
        r = w.http.patch(
            f"{ITEMS}/{w.a.item_id}", content=content, headers={**json_type, **w.a.auth}
        )
        yield outcome("malformed JSON", r, {400, 422}, _is_envelope(r), f" ({note})")


def _is_envelope(r: httpx.Response) -> bool:
    try:
        return "error" in r.json()
    except ValueError:
        return False


@attack
def huge_body(w: World) -> Iterator[Outcome]:
    for chunked in (False, True):
        status, sent = post_huge(str(w.http.base_url), USERS, chunked)
        how = "chunked" if chunked else "Content-Length"
        read_whole = sent >= HUGE_BODY
        yield Outcome(
            "12 MiB JSON body",
            f"POST {USERS} ({how}; {sent // 1024} KiB sent before the answer)",
            "413, before the body is read whole",
            str(status),
            status == 413 and not read_whole,
        )


def post_huge(base_url: str, path: str, chunked: bool) -> tuple[int, int]:
    """POST a 12 MiB JSON body over a raw socket; the status, and how much was sent by then.

    httpx would send the whole body before reading the answer (and fail on the closed
    socket): a server that refuses early answers while we are still sending.
    """
    where = urlsplit(base_url)
    sock = socket.create_connection((where.hostname, where.port), timeout=10)
    length = "Transfer-Encoding: chunked" if chunked else f"Content-Length: {HUGE_BODY}"
    head = (
        f"POST {path} HTTP/1.1\r\nHost: {where.netloc}\r\n"
        f"Content-Type: application/json\r\n{length}\r\n\r\n"
    )
    sent, answer = 0, b""
    piece = b'{"name": "' + b"x" * (64 * 1024 - 10)
    try:
        sock.sendall(head.encode())
        sock.setblocking(False)
        while sent < HUGE_BODY and not answer:
            data = f"{len(piece):x}\r\n".encode() + piece + b"\r\n" if chunked else piece
            try:
                sock.send(data)  # as much as the socket takes; the count is approximate
                sent += len(piece)
            except BlockingIOError:
                time.sleep(0.01)
            except OSError:
                break
            try:
                answer += sock.recv(65536)
            except BlockingIOError:
                pass
        sock.settimeout(10)
        while b"\r\n" not in answer:
            more = sock.recv(65536)
            if not more:
                break
            answer += more
    except OSError:
        pass
    finally:
        sock.close()
    match = re.match(rb"HTTP/1\.1 (\d{3})", answer)
    return (int(match.group(1)) if match else 0), sent


@attack
def evil_origin(w: World) -> Iterator[Outcome]:
    preflight = {"Origin": EVIL_ORIGIN, "Access-Control-Request-Method": "PATCH"}
    r = w.http.options(ME, headers=preflight)
    yield outcome(
        "evil CORS origin",
        r,
        {200, 400, 405},
        "access-control-allow-origin" not in r.headers,
        " (preflight)",
    )
    r = w.http.get(ME, headers={"Origin": EVIL_ORIGIN, **w.a.auth})
    yield outcome(
        "evil CORS origin",
        r,
        {200},
        "access-control-allow-origin" not in r.headers,
        " (with credentials)",
    )
    # The control: the configured origin is allowed, so the two checks above can fail.
    good = {"Origin": w.settings.allowed_origin, "Access-Control-Request-Method": "PATCH"}
    r = w.http.options(ME, headers=good)
    allowed = r.headers.get("access-control-allow-origin") == w.settings.allowed_origin
    yield outcome("evil CORS origin", r, {200}, allowed, " (control: the allowed origin)")


@attack
def evil_host(w: World) -> Iterator[Outcome]:
    r = w.http.get("/health", headers={"Host": "evil.example"})
    yield outcome("evil Host header", r, {400})


@attack
def demo_admin(w: World) -> Iterator[Outcome]:
    r = login(w.http, "alice@example.com", "alice-secret-1")
    yield outcome("demo admin of development", r, {401}, note=" (seeded Alice, in production)")


@attack
def brute_force(w: World) -> Iterator[Outcome]:
    """The victim's account: wrong passwords up to the limit, then even the right one waits."""
    limit = w.settings.max_failures
    for attempt in range(1, limit + 1):
        r = login(w.http, w.victim.email, f"guess-{attempt}")
        yield outcome("brute force", r, {401}, note=f" (wrong password {attempt} of {limit})")
    for password, note in (
        ("guess-last", "one more wrong"),
        (w.victim.password, "the right password"),
    ):
        r = login(w.http, w.victim.email, password)
        yield outcome("brute force", r, {429}, _waits(r), f" ({note}, past the limit)")


@attack
def spraying(w: World) -> Iterator[Outcome]:
    """One client, a new account each time, claiming a new address in X-Forwarded-For each
    time: the per-client limit stops it (the server trusts no proxy, as in production when
    no proxy sits in front of it)."""
    last = None
    for attempt in range(w.settings.max_failures_per_client + 1):
        spoofed = {"X-Forwarded-For": f"203.0.113.{attempt + 1}"}
        last = w.http.post(
            TOKEN,
            data={"username": f"nobody-{attempt}@example.com", "password": "password123"},
            headers=spoofed,
        )
        if last.status_code == 429:
            break
    assert last is not None
    note = f" (after {attempt + 1} accounts, each from a spoofed address)"
    yield outcome("password spraying", last, {429}, _waits(last), note)


def _waits(r: httpx.Response) -> bool:
    """A Retry-After in whole seconds, at least one."""
    value = r.headers.get("retry-after", "")
    return value.isdigit() and int(value) >= 1


@attack
def no_hash_anywhere(w: World) -> Iterator[Outcome]:
    """Every answer of the suite so far, and the admin's listings, read for a bcrypt hash."""
    for path in (USERS, f"{USERS}/{w.a.id}", ME, ITEMS, f"{ITEMS}/{w.b.item_id}"):
        w.http.get(path, headers=w.admin.auth)
    leaks = [r for r in w.seen if BCRYPT_HASH.search(r.text) or BCRYPT_HASH.search(str(r.headers))]
    request = f"{len(w.seen)} answers read" + (f"; first: {leaks[0].request.url}" if leaks else "")
    yield Outcome(
        "bcrypt hash in a response", request, "none", f"{len(leaks)} with a hash", not leaks
    )


@attack
def security_headers(w: World) -> Iterator[Outcome]:
    """Every answer of the suite, errors included, told the browser not to sniff or frame it."""
    bare = [
        r
        for r in w.seen
        if r.headers.get("x-content-type-options") != "nosniff"
        or "frame-ancestors 'none'" not in r.headers.get("content-security-policy", "")
    ]
    request = f"{len(w.seen)} answers read" + (
        f"; first: {bare[0].request.method} {bare[0].request.url.path} {bare[0].status_code}"
        if bare
        else ""
    )
    yield Outcome(
        "security headers",
        request,
        "nosniff and frame-ancestors on all",
        f"{len(bare)} without",
        not bare,
    )


@contextmanager
def client(base_url: str) -> Iterator[tuple[httpx.Client, list[httpx.Response]]]:
    """An HTTP client to the server, and the list of every answer it got (for the hash scan)."""
    seen: list[httpx.Response] = []

    def keep(response: httpx.Response) -> None:
        response.read()
        seen.append(response)

    with httpx.Client(base_url=base_url, timeout=30, event_hooks={"response": [keep]}) as http:
        yield http, seen


def attack_all(world: World) -> list[Outcome]:
    """Every attack, in order: the brute-force ones come last, as they lock accounts out."""
    return [result for attempts in ATTACKS for result in attempts(world)]


def table(outcomes: list[Outcome]) -> str:
    """The outcomes as a markdown table, for the report and the closing note."""
    rows = ["| attack | request | expected | got | |", "| --- | --- | --- | --- | --- |"]
    for o in outcomes:
        rows.append(
            f"| {o.attack} | {o.request} | {o.expected} | {o.got} | {'ok' if o.ok else 'FAILED'} |"
        )
    return "\n".join(rows) + "\n"
