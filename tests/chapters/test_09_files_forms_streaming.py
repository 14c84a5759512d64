"""Chapter 09: uploads with size and type limits, a form login, a streamed CSV export."""

from __future__ import annotations

import csv
import hashlib
import io
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import starlette.datastructures
import starlette.formparsers
from conftest import body, import_app_module, login_headers, raised
from fastapi.testclient import TestClient

from workbook.server import LiveServer

FILES = "app/api/v1/routes/files.py"
AUTH = "app/api/v1/routes/auth.py"
ITEMS = "app/api/v1/routes/items.py"
LIMITS = "app/core/limits.py"
LIMIT = 1_048_576
ALICE = {"username": "alice@example.com", "password": "alice-secret-1"}


def no_crash(response: httpx.Response, where: str, module: str) -> None:
    if response.status_code == 500:
        pytest.fail(
            f"{where} answered 500{raised()}: the route raised "
            f"(print(server.log()) in the notebook "
            f"shows why); finish the exercise in {module}"
        )


def error_of(response: httpx.Response) -> dict[str, Any]:
    answer = body(response)
    error = answer.get("error") if isinstance(answer, dict) else None
    return error if isinstance(error, dict) else {}


def upload(
    client: TestClient, content: bytes, content_type: str = "text/plain", name: str = "notes.txt"
) -> httpx.Response:
    return client.post("/api/v1/files", files={"file": (name, content, content_type)})


def info(name: str, content: bytes, content_type: str = "text/plain") -> dict[str, Any]:
    return {
        "filename": name,
        "content_type": content_type,
        "size": len(content),
        "sha256": hashlib.sha256(content).hexdigest(),
    }


def many_files(count: int, size: int, boundary: str = "workbook-boundary") -> Iterator[bytes]:
    """A multipart batch of `count` files of `size` bytes, in pieces (no Content-Length)."""
    for n in range(count):
        yield (
            f'--{boundary}\r\nContent-Disposition: form-data; name="files"; '
            f'filename="part{n}.txt"\r\nContent-Type: text/plain\r\n\r\n'
        ).encode()
        for start in range(0, size, 64 * 1024):
            yield b"x" * min(64 * 1024, size - start)
        yield b"\r\n"
    yield f"--{boundary}--\r\n".encode()


MULTIPART = {"content-type": "multipart/form-data; boundary=workbook-boundary"}


def request_body_of(
    client: TestClient, path: str, media_type: str
) -> tuple[dict[str, Any], dict[str, Any]]:
    """The OpenAPI media type object of POST `path`'s body, and its schema ($ref resolved)."""
    spec = client.get("/openapi.json").json()
    operation = spec.get("paths", {}).get(path, {}).get("post", {})
    media = operation.get("requestBody", {}).get("content", {}).get(media_type, {})
    schema = media.get("schema", {})
    ref = schema.get("$ref", "")
    if ref.startswith("#/components/schemas/"):
        schema = spec.get("components", {}).get("schemas", {}).get(ref.rsplit("/", 1)[1], {})
    return media, schema


def multipart_stream(size: int, boundary: str = "workbook-boundary") -> Iterator[bytes]:
    """A one-file multipart body sent in pieces, with no Content-Length (chunked)."""
    yield (
        f'--{boundary}\r\nContent-Disposition: form-data; name="file"; '
        f'filename="big.txt"\r\nContent-Type: text/plain\r\n\r\n'
    ).encode()
    for start in range(0, size, 64 * 1024):
        yield b"x" * min(64 * 1024, size - start)
    yield f"\r\n--{boundary}--\r\n".encode()


# --- settings ---------------------------------------------------------------------------


def test_settings_hold_the_upload_limits(app_dir: Path) -> None:
    settings = getattr(import_app_module("app.core.config"), "settings", None)
    found = (
        getattr(settings, "MAX_UPLOAD_BYTES", None),
        tuple(getattr(settings, "ALLOWED_UPLOAD_TYPES", ())),
    )
    expected = (
        LIMIT,
        ("text/plain", "text/csv", "image/png", "image/jpeg", "application/pdf"),
    )
    assert found == expected, (
        f"settings hold MAX_UPLOAD_BYTES, ALLOWED_UPLOAD_TYPES = {found}, not {expected}: "
        f"add them to Settings in app/core/config.py"
    )


# --- uploads ----------------------------------------------------------------------------


@pytest.mark.exercise("09.1")
def test_upload_answers_201_with_size_and_sha256(client: TestClient) -> None:
    content = b"hello, upload\n" * 500
    r = upload(client, content)
    no_crash(r, "POST /api/v1/files", FILES)
    assert r.status_code == 201, (
        f"POST /api/v1/files answered {r.status_code} {body(r)!r}: declare "
        f"status_code=status.HTTP_201_CREATED on upload_file in {FILES}"
    )
    assert body(r) == info("notes.txt", content), (
        f"POST /api/v1/files answered {body(r)!r}, not {info('notes.txt', content)!r}: "
        f"count the bytes and hash every chunk in receive_upload ({FILES})"
    )


@pytest.mark.exercise("09.1")
def test_upload_reads_the_file_in_chunks(
    client: TestClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    sizes: list[int] = []
    read = tempfile.SpooledTemporaryFile.read

    def spy(self: Any, *args: Any) -> Any:
        sizes.append(args[0] if args and args[0] is not None else -1)
        return read(self, *args)

    monkeypatch.setattr(tempfile.SpooledTemporaryFile, "read", spy)
    content = b"y" * 300_000
    r = upload(client, content)
    no_crash(r, "POST /api/v1/files", FILES)
    whole = [size for size in sizes if size < 0 or size >= len(content)]
    assert sizes and not whole, (
        f"POST /api/v1/files read the upload with read({whole[0] if whole else ''}): read it "
        f"in chunks, `while chunk := await upload.read(CHUNK_SIZE)`, in receive_upload ({FILES})"
    )


@pytest.mark.exercise("09.1")
def test_upload_at_the_limit_is_accepted(client: TestClient) -> None:
    content = b"z" * LIMIT
    r = upload(client, content)
    no_crash(r, "POST /api/v1/files", FILES)
    assert r.status_code == 201, (
        f"a file of exactly MAX_UPLOAD_BYTES answered {r.status_code} {error_of(r)!r}: refuse "
        f"only sizes over the limit (size > limit) in {FILES}"
    )


@pytest.mark.exercise("09.1")
def test_upload_over_the_limit_answers_413(client: TestClient) -> None:
    r = upload(client, b"z" * (LIMIT + 1))
    no_crash(r, "POST /api/v1/files", FILES)
    assert r.status_code == 413 and error_of(r).get("code") == "payload_too_large", (
        f"a file of MAX_UPLOAD_BYTES + 1 answered {r.status_code} {body(r)!r}: raise "
        f'over_limit("The upload") as soon as the count passes the limit in receive_upload '
        f"({FILES})"
    )


def test_a_declared_oversize_is_refused_before_reading(
    client: TestClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    parsed: list[bool] = []
    parse = starlette.formparsers.MultiPartParser.parse

    async def spy(self: Any) -> Any:
        parsed.append(True)
        return await parse(self)

    monkeypatch.setattr(starlette.formparsers.MultiPartParser, "parse", spy)
    r = upload(client, b"z" * (2 * LIMIT))
    assert r.status_code == 413 and error_of(r).get("code") == "payload_too_large", (
        f"a 2 MiB upload answered {r.status_code} {body(r)!r}, not the 413 envelope ({FILES})"
    )
    assert not parsed, (
        f"a 2 MiB upload was parsed before it was refused: check its Content-Length first "
        f"(BodyLimitMiddleware in {LIMITS})"
    )


@pytest.mark.exercise("09.1")
def test_a_streamed_upload_without_length_is_counted(client: TestClient) -> None:
    r = client.post(
        "/api/v1/files",
        content=multipart_stream(LIMIT + 100),
        headers={"content-type": "multipart/form-data; boundary=workbook-boundary"},
    )
    no_crash(r, "POST /api/v1/files", FILES)
    assert r.status_code == 413 and error_of(r).get("code") == "payload_too_large", (
        f"an upload sent without Content-Length, over the limit, answered {r.status_code}: "
        f"count the bytes while reading in receive_upload ({FILES})"
    )


def test_a_chunked_batch_is_stopped_at_the_limit(
    client: TestClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Without Content-Length, the body is counted while it arrives: a batch over the
    limit is refused before its files are spooled, not after."""
    spooled: list[int] = []
    write = starlette.datastructures.UploadFile.write

    async def spy(self: Any, data: bytes) -> None:
        spooled.append(len(data))
        await write(self, data)

    monkeypatch.setattr(starlette.datastructures.UploadFile, "write", spy)
    r = client.post("/api/v1/files/batch", content=many_files(8, 256 * 1024), headers=MULTIPART)
    no_crash(r, "POST /api/v1/files/batch", FILES)
    assert r.status_code == 413 and error_of(r).get("code") == "payload_too_large", (
        f"a chunked batch of 2 MiB answered {r.status_code} {body(r)!r}, not the 413 envelope "
        f"({LIMITS})"
    )
    assert sum(spooled) <= LIMIT + 64 * 1024, (
        f"a chunked batch of 2 MiB had {sum(spooled)} bytes spooled before its 413: count the "
        f"body while it arrives, in BodyLimitMiddleware ({LIMITS}), added in app/main.py"
    )


def test_a_batch_of_many_files_is_refused(client: TestClient) -> None:
    r = client.post("/api/v1/files/batch", content=many_files(300, 10), headers=MULTIPART)
    no_crash(r, "POST /api/v1/files/batch", FILES)
    assert r.status_code in (400, 413) and error_of(r).get("code"), (
        f"a batch of 300 files of 10 bytes answered {r.status_code}, not a refusal in the "
        f"envelope: give the router form_limits={{'max_files': settings.MAX_UPLOAD_FILES, "
        f"...}} ({FILES})"
    )


@pytest.mark.parametrize("sent", ["declared", "chunked"])
def test_a_json_body_over_the_cap_answers_413(client: TestClient, sent: str) -> None:
    settings = getattr(import_app_module("app.core.config"), "settings", None)
    cap = getattr(settings, "MAX_BODY_BYTES", None)
    assert isinstance(cap, int), "settings have no MAX_BODY_BYTES: add it to app/core/config.py"
    big = b'{"name": "' + b"x" * (cap + 1) + b'", "email": "big@example.com"}'
    content: bytes | Iterator[bytes] = big if sent == "declared" else iter([big[:100], big[100:]])
    r = client.post("/api/v1/users", content=content, headers={"content-type": "application/json"})
    assert r.status_code == 413 and error_of(r).get("code") == "payload_too_large", (
        f"POST /api/v1/users with a JSON body of {len(big)} bytes ({sent}) answered "
        f"{r.status_code}, not the 413 envelope: every route's body is capped at MAX_BODY_BYTES "
        f"(limit_for in {LIMITS})"
    )


def vm_rss(pid: int) -> int | None:
    """The resident memory of a process in bytes (Linux), None elsewhere."""
    status = Path(f"/proc/{pid}/status")
    if not status.exists():
        return None
    for line in status.read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) * 1024
    return None


@pytest.mark.slow
def test_a_chunked_batch_is_refused_early_under_uvicorn(live_server: LiveServer) -> None:
    """Under uvicorn: 300 chunked parts of just under 1 MiB each. The server answers 413
    without reading them, and its memory does not grow with them."""
    assert live_server.process is not None
    before = vm_rss(live_server.process.pid)
    sent = 0

    def counted() -> Iterator[bytes]:
        nonlocal sent
        for piece in many_files(300, 1_000_000):
            sent += len(piece)
            yield piece

    with httpx.Client(base_url=live_server.url, timeout=60) as one_client:
        r = one_client.post("/api/v1/files/batch", content=counted(), headers=MULTIPART)
    after = vm_rss(live_server.process.pid)
    grown = (after - before) // 2**20 if before is not None and after is not None else 0
    assert r.status_code == 413 and error_of(r).get("code") == "payload_too_large", (
        f"under uvicorn, a chunked batch of 300 MB answered {r.status_code} {body(r)!r}, not "
        f"the 413 envelope ({LIMITS})"
    )
    # uvicorn reads and drops the rest of a refused body: only what the app kept counts.
    assert grown < 50, (
        f"under uvicorn, a chunked batch of {sent // 2**20} MiB grew the server by {grown} MiB "
        f"before its 413: count the body while it arrives (BodyLimitMiddleware in {LIMITS})"
    )


@pytest.mark.parametrize(
    ("content_type", "status"),
    [
        ("text/plain; charset=utf-8", 201),
        ("image/png", 201),
        ("application/zip", 415),
        ("text/html", 415),
    ],
)
def test_upload_types_come_from_an_allow_list(
    client: TestClient, content_type: str, status: int
) -> None:
    r = upload(client, b"\x89PNG or text", content_type)
    no_crash(r, "POST /api/v1/files", FILES)
    assert r.status_code == status, (
        f"a {content_type} upload answered {r.status_code} {body(r)!r}, not {status}: compare "
        f"the type without its parameters with settings.ALLOWED_UPLOAD_TYPES ({FILES})"
    )
    if status == 415:
        assert error_of(r).get("code") == "unsupported_media_type", (
            f"a {content_type} upload answered {body(r)!r}: raise UnsupportedMediaTypeError "
            f"(code 'unsupported_media_type', app/core/errors.py)"
        )
    else:
        bare = content_type.split(";")[0]
        assert body(r).get("content_type") == bare, (
            f"a {content_type} upload answered content_type {body(r).get('content_type')!r}, "
            f"not {bare!r}: answer the type without its parameters ({FILES})"
        )


def test_batch_upload_answers_each_file(client: TestClient) -> None:
    files = [("a.txt", b"first\n", "text/plain"), ("b.csv", b"id,name\n1,x\n", "text/csv")]
    r = client.post("/api/v1/files/batch", files=[("files", f) for f in files])
    no_crash(r, "POST /api/v1/files/batch", FILES)
    expected = [info(name, content, kind) for name, content, kind in files]
    assert r.status_code == 201 and body(r) == expected, (
        f"POST /api/v1/files/batch answered {r.status_code} {body(r)!r}, not 201 {expected!r} "
        f"({FILES})"
    )


def test_batch_files_share_the_limit(client: TestClient) -> None:
    half = b"h" * (LIMIT // 2 + 10)
    r = client.post(
        "/api/v1/files/batch",
        files=[("files", ("a.txt", half, "text/plain")), ("files", ("b.txt", half, "text/plain"))],
    )
    no_crash(r, "POST /api/v1/files/batch", FILES)
    assert r.status_code == 413, (
        f"two files of half the limit + 10 bytes each answered {r.status_code}: the files of "
        f"a batch share MAX_UPLOAD_BYTES ({FILES})"
    )


def test_batch_refuses_a_type_not_allowed(client: TestClient) -> None:
    files = [("a.txt", b"ok", "text/plain"), ("b.exe", b"MZ", "application/x-msdownload")]
    r = client.post("/api/v1/files/batch", files=[("files", f) for f in files])
    no_crash(r, "POST /api/v1/files/batch", FILES)
    assert r.status_code == 415, (
        f"a batch with an .exe answered {r.status_code}: check the type of every file ({FILES})"
    )


@pytest.mark.parametrize(
    ("path", "field"), [("/api/v1/files", "file"), ("/api/v1/files/batch", "files")]
)
def test_the_schema_names_the_allowed_upload_types(
    client: TestClient, path: str, field: str
) -> None:
    media, _ = request_body_of(client, path, "multipart/form-data")
    declared = media.get("encoding", {}).get(field, {}).get("contentType", "")
    found = sorted(kind.strip() for kind in declared.split(",") if kind.strip())
    expected = sorted(("text/plain", "text/csv", "image/png", "image/jpeg", "application/pdf"))
    assert found == expected, (
        f"the OpenAPI document of POST {path} allows {found or 'any'} Content-Type for the "
        f"{field!r} parts, not {expected}: pass openapi_extra= with "
        f"requestBody.content.multipart/form-data.encoding.{field}.contentType, built from "
        f"settings.ALLOWED_UPLOAD_TYPES ({FILES})"
    )


def test_an_empty_batch_is_refused_as_the_schema_says(client: TestClient) -> None:
    _, schema = request_body_of(client, "/api/v1/files/batch", "multipart/form-data")
    least = schema.get("properties", {}).get("files", {}).get("minItems", 0)
    assert least == 1, (
        f"the OpenAPI document of POST /api/v1/files/batch says minItems {least} for files, "
        f"so an empty batch looks valid, but the app refuses it: File(min_length=1) ({FILES})"
    )
    r = client.post("/api/v1/files/batch", content=b"--workbook-boundary--\r\n", headers=MULTIPART)
    no_crash(r, "POST /api/v1/files/batch", FILES)
    fields = [detail.get("loc") for detail in error_of(r).get("details") or []]
    assert r.status_code == 422 and ["body", "files"] in fields, (
        f"an empty batch answered {r.status_code} {body(r)!r}, not 422 with a detail at "
        f"['body', 'files'] ({FILES})"
    )


def test_uploads_are_not_stored(client: TestClient, app_dir: Path) -> None:
    name = "stored-by-mistake.txt"
    upload(client, b"keep me out of the disk", name=name)
    # The app's folder, and near the folder the app runs in (an "uploads/" folder, say).
    found = [*app_dir.rglob(name), *Path.cwd().glob(name), *Path.cwd().glob(f"*/{name}")]
    assert not found, (
        f"POST /api/v1/files wrote the upload to {found[0]}: answer its size and hash, "
        f"store nothing ({FILES})"
    )


# --- the form login -----------------------------------------------------------------------


@pytest.mark.exercise("09.2")
def test_form_login_accepts_the_right_password(client: TestClient) -> None:
    r = client.post("/api/v1/auth/login-form", data=ALICE)
    no_crash(r, "POST /api/v1/auth/login-form", AUTH)
    assert r.status_code == 200 and body(r) == {"email": "alice@example.com", "logged_in": True}, (
        f"POST /api/v1/auth/login-form with Alice's password answered {r.status_code} "
        f'{body(r)!r}, not {{"email": "alice@example.com", "logged_in": true}} ({AUTH})'
    )


@pytest.mark.parametrize(
    "form",
    [
        {"username": "alice@example.com", "password": "bob-secret-1"},
        {"username": "nobody@example.com", "password": "alice-secret-1"},
    ],
    ids=["wrong password", "unknown email"],
)
@pytest.mark.exercise("09.2")
def test_form_login_refuses_wrong_credentials(client: TestClient, form: dict[str, str]) -> None:
    r = client.post("/api/v1/auth/login-form", data=form)
    no_crash(r, "POST /api/v1/auth/login-form", AUTH)
    error = error_of(r)
    assert r.status_code == 401 and error.get("message") == "Invalid email or password", (
        f"POST /api/v1/auth/login-form with {form} answered {r.status_code} {body(r)!r}: raise "
        f'UnauthorizedError("Invalid email or password"), the same for both cases ({AUTH})'
    )


@pytest.mark.parametrize(
    ("field", "form"),
    [
        ("username", {"username": "a" * 250 + "@x.org", "password": "alice-secret-1"}),
        ("password", {"username": "alice@example.com", "password": "p" * 257}),
    ],
    ids=["email of 256 characters", "password of 257 characters"],
)
def test_form_login_bounds_its_fields(client: TestClient, field: str, form: dict[str, str]) -> None:
    r = client.post("/api/v1/auth/login-form", data=form)
    assert r.status_code == 422 and field in r.text, (
        f"POST /api/v1/auth/login-form with a {field} of {len(form[field])} characters answered "
        f"{r.status_code}, not a 422 naming {field}: username Form(min_length=1, max_length=254), "
        f"password Form(min_length=1, max_length=256) in {AUTH}"
    )
    spec = client.get("/openapi.json").json()
    schemas = spec.get("components", {}).get("schemas", {})
    form_schema = next((s for n, s in schemas.items() if "login_form" in n), {})
    documented = form_schema.get("properties", {}).get(field, {})
    # FastAPI reads an empty form field as a missing one (422): the docs say minLength 1.
    assert documented.get("minLength") == 1, (
        f"the docs give the form's {field} {documented}: FastAPI refuses an empty field as "
        f"missing, so declare Form(min_length=1, ...) in {AUTH}"
    )


def test_form_login_reads_form_fields(client: TestClient) -> None:
    spec = client.get("/openapi.json").json()
    operation = spec.get("paths", {}).get("/api/v1/auth/login-form", {}).get("post", {})
    content = operation.get("requestBody", {}).get("content", {})
    assert "application/x-www-form-urlencoded" in content, (
        f"POST /api/v1/auth/login-form takes {sorted(content) or 'no body'}: declare username "
        f"and password with Form() in {AUTH}"
    )


def test_form_login_schema_refuses_empty_fields_as_the_app_does(client: TestClient) -> None:
    path = "/api/v1/auth/login-form"
    _, schema = request_body_of(client, path, "application/x-www-form-urlencoded")
    properties = schema.get("properties", {})
    found = {
        name: properties.get(name, {}).get("minLength", 0) for name in ("username", "password")
    }
    assert found == {"username": 1, "password": 1}, (
        f"the OpenAPI document of POST {path} says minLength {found}, so an empty field looks "
        f"valid, but FastAPI reads it as missing and answers 422: Form(min_length=1) ({AUTH})"
    )
    r = client.post(path, data={"username": "", "password": ""})
    no_crash(r, f"POST {path}", AUTH)
    fields = [detail.get("loc") for detail in error_of(r).get("details") or []]
    assert r.status_code == 422 and ["body", "username"] in fields, (
        f"POST {path} with empty fields answered {r.status_code} {body(r)!r}, not 422 with a "
        f"detail at ['body', 'username'] ({AUTH})"
    )


# --- the CSV export -------------------------------------------------------------------------


def all_items(client: TestClient) -> list[dict[str, Any]]:
    first = client.get("/api/v1/items?page=1&size=100").json()
    items: list[dict[str, Any]] = list(first["items"])
    pages = (first["total"] + 99) // 100
    for page in range(2, pages + 1):
        items += client.get(f"/api/v1/items?page={page}&size=100").json()["items"]
    return items


def as_values(row: list[Any]) -> list[Any]:
    """A row with its price as a number: 5.0, "5.0" and "5" are the same price."""
    if len(row) == 4 and row[0] != "id":
        try:
            return [str(row[0]), row[1], float(row[2]), row[3]]
        except ValueError:
            return row
    return row


@pytest.mark.exercise("09.3")
def test_export_answers_every_item_as_csv(client: TestClient) -> None:
    mug = {"name": 'Mug, "large"', "price": 4.5, "tags": ["a", "b"]}
    client.post("/api/v1/items", json=mug, headers=login_headers(client))
    r = client.get("/api/v1/items/export.csv")
    no_crash(r, "GET /api/v1/items/export.csv", ITEMS)
    assert r.status_code == 200 and r.headers.get("content-type", "").startswith("text/csv"), (
        f"GET /api/v1/items/export.csv answered {r.status_code} with the type "
        f"{r.headers.get('content-type')!r}: return StreamingResponse(..., "
        f'media_type="text/csv") ({ITEMS})'
    )
    assert r.headers.get("content-disposition") == 'attachment; filename="items.csv"', (
        f"GET /api/v1/items/export.csv has Content-Disposition "
        f"{r.headers.get('content-disposition')!r}: set it to attachment; "
        f'filename="items.csv" ({ITEMS})'
    )
    rows = [as_values(row) for row in csv.reader(io.StringIO(r.text))]
    expected = [["id", "name", "price", "tags"]] + [
        as_values([i["id"], i["name"], i["price"], ";".join(i["tags"])]) for i in all_items(client)
    ]
    assert rows[:1] == expected[:1], (
        f"the export starts with {rows[:1]}, not the header {expected[0]} ({ITEMS})"
    )
    wrong = next((row for row, want in zip(rows, expected, strict=False) if row != want), None)
    assert len(rows) == len(expected) and wrong is None, (
        f"the export has {len(rows) - 1} rows for {len(expected) - 1} items"
        + (f", and the row {wrong} is wrong" if wrong else "")
        + f": write each row with the csv module (csv_line), tags joined with ';' ({ITEMS})"
    )


@pytest.mark.exercise("09.3")
def test_export_is_streamed_line_by_line(client: TestClient) -> None:
    total = client.get("/api/v1/items?page=1&size=1").json()["total"]
    with client.stream("GET", "/api/v1/items/export.csv") as r:
        no_crash(r, "GET /api/v1/items/export.csv", ITEMS)
        chunks = [chunk for chunk in r.iter_raw() if chunk]
        length = r.headers.get("content-length")
    assert length is None and len(chunks) >= total + 1, (
        f"GET /api/v1/items/export.csv arrived in {len(chunks)} piece(s) for {total} items: "
        f"return a StreamingResponse of the csv_rows generator, which yields one line at a "
        f"time ({ITEMS})"
    )
    assert chunks[0].decode().strip() == "id,name,price,tags", (
        f"the first piece of the export is {chunks[0][:60]!r}: yield the header line alone "
        f"first ({ITEMS})"
    )


@pytest.mark.slow
def test_limits_and_stream_over_real_http(live_server: LiveServer) -> None:
    r = live_server.post(
        "/api/v1/files", files={"file": ("big.txt", b"x" * (2 * LIMIT), "text/plain")}
    )
    assert r.status_code == 413 and error_of(r).get("code") == "payload_too_large", (
        f"under uvicorn, a 2 MiB upload answered {r.status_code} {body(r)!r}, not the 413 "
        f"envelope ({FILES})"
    )
    with httpx.stream("GET", f"{live_server.url}/api/v1/items/export.csv") as response:
        first = next(response.iter_lines(), "")
        encoding = response.headers.get("transfer-encoding")
    assert first == "id,name,price,tags" and encoding == "chunked", (
        f"under uvicorn, the export starts with {first!r} and is sent with Transfer-Encoding "
        f"{encoding!r}: stream it with StreamingResponse ({ITEMS})"
    )
