"""A recorded v1 client session: what checkpoint 22 answered, replayed by chapter 23's tests.

Chapter 23 adds /api/v2 and deprecates /api/v1: a client written against version 1 must
keep getting the same answers. This module holds the session (STEPS: sign-up, login,
/users/me, an item created, listed, read, changed and deleted, an order, and the errors
401, 404, 409 and 422), runs it against an app, and writes what the app answered, made
comparable: the ids the database chose, the token, the dates and the unique values of a
run (the email, the tag) become placeholders.

Record it against checkpoint 22 (before versioning), from the repository's root:

    .venv/bin/python -m workbook.v1_session record checkpoints/22_routers_by_domain \
        tests/chapters/data/v1_session.json

tests/chapters/test_23_versioning.py replays the file with `replay` against the
chapter-23 app and compares each answer with the recorded one.
"""

from __future__ import annotations

import json
import os
import re
import sys
import tempfile
from pathlib import Path
from typing import Any

# The unique values of one run: the recorder uses these, a replay makes fresh ones.
RECORDED_VALUES = {"email": "recorded-client@example.com", "tag": "recorded-tag"}
PASSWORD = "recorded-secret-12"
# No item has this id (the top of PostgreSQL's INTEGER, less a little): a 404 on any run.
MISSING_ID = 2147483000
# The headers a v1 client may read, compared with the recording (the others, Date, the
# security headers, the request id, are the server's business).
COMPARED_HEADERS = (
    "content-type",
    "cache-control",
    "www-authenticate",
    "content-disposition",
    "location",
)
AUTH = {"Authorization": "Bearer {token}"}

STEPS: list[dict[str, Any]] = [
    {
        "name": "sign up",
        "method": "POST",
        "path": "/api/v1/users",
        "json": {"name": "Rita Record", "email": "{email}", "password": PASSWORD},
        "save": {"user": "id"},
    },
    {
        "name": "sign up twice: 409",
        "method": "POST",
        "path": "/api/v1/users",
        "json": {"name": "Rita Record", "email": "{email}", "password": PASSWORD},
    },
    {
        "name": "sign up without a password: 422",
        "method": "POST",
        "path": "/api/v1/users",
        "json": {"name": "Rita Record", "email": "{email}"},
    },
    {
        "name": "log in",
        "method": "POST",
        "path": "/api/v1/auth/token",
        "data": {"username": "{email}", "password": PASSWORD},
        "save": {"token": "access_token"},
    },
    {"name": "who am I, without a token: 401", "method": "GET", "path": "/api/v1/users/me"},
    {"name": "who am I", "method": "GET", "path": "/api/v1/users/me", "headers": AUTH},
    {
        "name": "create an item without a token: 401",
        "method": "POST",
        "path": "/api/v1/items",
        "json": {"name": "Recorded lamp", "price": 12.5, "tags": ["{tag}"]},
    },
    {
        "name": "create an item with a negative price: 422",
        "method": "POST",
        "path": "/api/v1/items",
        "json": {"name": "Recorded lamp", "price": -1, "tags": ["{tag}"]},
        "headers": AUTH,
    },
    {
        "name": "create an item",
        "method": "POST",
        "path": "/api/v1/items",
        "json": {"name": "Recorded lamp", "price": 12.5, "tags": ["{tag}"]},
        "headers": AUTH,
        "save": {"item": "id"},
    },
    {
        "name": "create a second item",
        "method": "POST",
        "path": "/api/v1/items",
        "json": {"name": "Recorded spare bulb", "price": 2.25, "tags": ["{tag}", "spare"]},
        "headers": AUTH,
        "save": {"spare": "id"},
    },
    {"name": "list the items of the tag", "method": "GET", "path": "/api/v1/items?tag={tag}"},
    {
        "name": "list them one a page, page 2",
        "method": "GET",
        "path": "/api/v1/items?tag={tag}&size=1&page=2",
    },
    {"name": "read the item", "method": "GET", "path": "/api/v1/items/{item}"},
    {
        "name": "read an item that does not exist: 404",
        "method": "GET",
        "path": f"/api/v1/items/{MISSING_ID}",
    },
    {"name": "read an item by a word: 422", "method": "GET", "path": "/api/v1/items/lamp"},
    {
        "name": "change the item's price",
        "method": "PATCH",
        "path": "/api/v1/items/{item}",
        "json": {"price": 15},
        "headers": AUTH,
    },
    {
        "name": "rename the item to nothing: 422",
        "method": "PATCH",
        "path": "/api/v1/items/{item}",
        "json": {"name": "   "},
        "headers": AUTH,
    },
    {
        "name": "place an order",
        "method": "POST",
        "path": "/api/v1/orders",
        "json": {"lines": [{"item_id": "{item}", "quantity": 2}]},
        "headers": AUTH,
        "save": {"order": "id"},
    },
    {"name": "read the order", "method": "GET", "path": "/api/v1/orders/{order}", "headers": AUTH},
    {
        "name": "read the order without a token: 401",
        "method": "GET",
        "path": "/api/v1/orders/{order}",
    },
    {
        "name": "order an item that does not exist: 404",
        "method": "POST",
        "path": "/api/v1/orders",
        "json": {"lines": [{"item_id": MISSING_ID, "quantity": 1}]},
        "headers": AUTH,
    },
    {
        "name": "delete the second item",
        "method": "DELETE",
        "path": "/api/v1/items/{spare}",
        "headers": AUTH,
    },
    {"name": "read the deleted item: 404", "method": "GET", "path": "/api/v1/items/{spare}"},
    {"name": "a route v1 never had: 404", "method": "GET", "path": "/api/v1/nothing-here"},
]

PLACEHOLDER = re.compile(r"\{(\w+)\}")
# Values every run chooses anew, whatever their place in a body.
VOLATILE_KEYS = {"created_at": "<datetime>", "access_token": "<token>"}


def fill(template: Any, values: dict[str, Any]) -> Any:
    """The template with its placeholders filled: "{item}" alone becomes the saved value
    (an int stays an int); a placeholder inside a longer string is formatted into it."""
    if isinstance(template, str):
        whole = PLACEHOLDER.fullmatch(template)
        if whole and whole[1] in values:
            return values[whole[1]]
        return PLACEHOLDER.sub(lambda m: str(values.get(m[1], m[0])), template)
    if isinstance(template, list):
        return [fill(value, values) for value in template]
    if isinstance(template, dict):
        return {key: fill(value, values) for key, value in template.items()}
    return template


# The keys whose integer is an id the database chose; any other number is kept as it is.
ID_KEYS = {"id", "user_id", "item_id", "owner_id"}
# Where an id shows in a text: "Item 26 not found", "/api/v1/items/26".
ID_IN_TEXT = r"(?:(?<=item )|(?<=order )|(?<=user )|(?<=/))"


def normalize(value: Any, values: dict[str, Any], key: str = "") -> Any:
    """The answer without what changes between runs: each saved value (an id, the email,
    the tag) as its placeholder, the dates and the token as <datetime> and <token>."""
    if key in VOLATILE_KEYS:
        return VOLATILE_KEYS[key]
    if isinstance(value, dict):
        return {name: normalize(item, values, name) for name, item in value.items()}
    if isinstance(value, list):
        return [normalize(item, values, key) for item in value]
    if isinstance(value, int) and not isinstance(value, bool) and key in ID_KEYS:
        same = [name for name, saved in values.items() if isinstance(saved, int) and saved == value]
        # Two saved ids can be equal (user 26 and item 26 of a database other tests filled):
        # the owner keys name a user, the item keys an item, an "id" the newest saved.
        wanted = {"user_id": "user", "owner_id": "user", "item_id": "item"}.get(key)
        return f"{{{wanted if wanted in same else same[-1]}}}" if same else value
    if isinstance(value, str):
        for name, saved in values.items():
            if name == "token":
                value = value.replace(str(saved), "<token>")
            elif isinstance(saved, int):
                value = re.sub(rf"{ID_IN_TEXT}{saved}(?!\d)", f"{{{name}}}", value, flags=re.I)
            else:
                value = value.replace(str(saved), f"{{{name}}}")
        return value
    return value


def answer_of(response: Any, values: dict[str, Any]) -> dict[str, Any]:
    """Status, compared headers and body of an httpx (or TestClient) response, normalized."""
    try:
        content: Any = response.json()
    except ValueError:
        content = response.text
    return {
        "status": response.status_code,
        "headers": {
            name: normalize(response.headers[name], values)
            for name in COMPARED_HEADERS
            if name in response.headers
        },
        "body": normalize(content, values),
    }


def run_step(client: Any, step: dict[str, Any], values: dict[str, Any]) -> Any:
    """Send one step's request; remember the values its `save` names. The raw response."""
    request: dict[str, Any] = {"headers": fill(step.get("headers", {}), values)}
    for kind in ("json", "data"):
        if kind in step:
            request[kind] = fill(step[kind], values)
    response = client.request(step["method"], fill(step["path"], values), **request)
    for name, key in step.get("save", {}).items():
        try:
            values[name] = response.json()[key]
        except (ValueError, KeyError, TypeError):
            values[name] = f"<no {key} in the answer>"
    return response


def record(app_dir: Path, out: Path) -> None:
    """Run STEPS against the app in app_dir, on a new SQLite file, and write the recording."""
    with tempfile.TemporaryDirectory() as folder:
        os.environ["DATABASE_URL"] = f"sqlite:///{Path(folder) / 'session.db'}"
        os.environ.setdefault("BCRYPT_ROUNDS", "4")
        sys.path.insert(0, str(app_dir.resolve()))
        from app.main import app  # type: ignore[import-not-found]
        from fastapi.testclient import TestClient

        values: dict[str, Any] = dict(RECORDED_VALUES)
        answers = []
        with TestClient(app) as client:
            for step in STEPS:
                response = run_step(client, step, values)
                answers.append({"step": step, "answer": answer_of(response, values)})
    recording = {
        "about": (
            "A v1 client session and what checkpoint 22 answered; written by "
            "`python -m workbook.v1_session record`, replayed by tests/chapters/"
            "test_23_versioning.py. Placeholders: {name} for a value of the run."
        ),
        "recorded_on": app_dir.name,
        "steps": answers,
    }
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(recording, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    print(f"recorded {len(answers)} requests of {app_dir.name} in {out}")


if __name__ == "__main__":
    if len(sys.argv) != 4 or sys.argv[1] != "record":
        sys.exit("usage: python -m workbook.v1_session record CHECKPOINT_DIR OUT.json")
    record(Path(sys.argv[2]), Path(sys.argv[3]))
