"""Chapter 22: an orders domain in its own router, router dependencies, one API router.

Users sign up through the API; their tokens come from the app's own create_access_token
(chapter 16), so that a broken login does not hide a working order. Money is compared as
the strings the API answers ("13.34") and as the cents the database holds.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest
from conftest import (
    admin_headers,
    bearer,
    body,
    import_app_module,
    refused,
    stored_value,
    unique,
    why,
)
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from workbook.server import LiveServer

USERS = "/api/v1/users"
ITEMS = "/api/v1/items"
ORDERS = "/api/v1/orders"
LIMITS = f"{ORDERS}/limits"
SERVICE = "app/services/orders.py"
ROUTES = "app/api/v1/routes/orders.py"
SCHEMAS = "app/schemas/order.py"
ROUTER = "app/api/v1/router.py"
PASSWORD = "shop-secret-12"


@dataclass
class Shopper:
    id: int
    headers: dict[str, str]


def shopper(client: Any, *scopes: str) -> Shopper:
    """A new user, and a token of theirs with these scopes (a user's scopes by default)."""
    user = {"name": "Shopper", "email": f"{unique('shop')}@example.com", "password": PASSWORD}
    r = client.post(USERS, json=user)
    assert r.status_code == 201, f"POST {USERS} answered {why(r)}"
    user_id = r.json()["id"]
    token = import_app_module("app.core.jwt_tokens").create_access_token(  # type: ignore[attr-defined]
        user_id, list(scopes or ("items:write", "users:write"))
    )
    return Shopper(user_id, bearer(token))


def new_item(client: Any, who: Shopper, price: float) -> int:
    r = client.post(ITEMS, json={"name": unique("ware"), "price": price}, headers=who.headers)
    assert r.status_code == 201, f"POST {ITEMS} answered {why(r)}"
    return int(r.json()["id"])


def order(client: Any, who: Shopper, *lines: tuple[int, int]) -> Any:
    wanted = [{"item_id": item_id, "quantity": quantity} for item_id, quantity in lines]
    return client.post(ORDERS, json={"lines": wanted}, headers=who.headers)


def placed(client: Any, who: Shopper, *lines: tuple[int, int]) -> dict[str, Any]:
    r = order(client, who, *lines)
    assert r.status_code == 201, f"POST {ORDERS} answered {why(r)}: place_order ({SERVICE})"
    return r.json()  # type: ignore[no-any-return]


def orders_of(engine: Engine, user_id: int) -> int:
    return int(stored_value(engine, "SELECT COUNT(*) FROM orders WHERE user_id = :id", id=user_id))


@pytest.fixture(scope="module")
def anna(_started_client: TestClient) -> Shopper:
    return shopper(_started_client)


@pytest.fixture(scope="module")
def bert(_started_client: TestClient) -> Shopper:
    return shopper(_started_client)


# --- 22.1: the server prices the order ---------------------------------------------------


@pytest.mark.exercise("22.1")
def test_an_order_is_priced_by_the_server_in_exact_cents(
    client: TestClient, anna: Shopper, own_engine: Engine
) -> None:
    # 0.29 * 100 is 28.999999999999996 and 4.35 * 3 is 13.049999999999999 in floats.
    cheap, dear = new_item(client, anna, 0.29), new_item(client, anna, 4.35)
    got = placed(client, anna, (cheap, 1), (dear, 3))
    lines = got.get("lines") or [{}, {}]
    assert [line.get("unit_price") for line in lines] == ["0.29", "4.35"], (
        f"the lines of an order of items at 0.29 and 4.35 answered unit prices "
        f"{[line.get('unit_price') for line in lines]}: each line copies its item's price, in "
        f"cents, with unit_price_cents ({SERVICE})"
    )
    assert [line.get("line_total") for line in lines] == ["0.29", "13.05"], (
        f"1 x 0.29 and 3 x 4.35 answered line totals {[line.get('line_total') for line in lines]},"
        f" not 0.29 and 13.05: a line's total is its unit price in cents times the quantity "
        f"({SERVICE})"
    )
    assert got.get("total") == "13.34", (
        f"1 x 0.29 + 3 x 4.35 answered a total of {got.get('total')!r}, not '13.34': sum the "
        f"lines' cents (ints), never float prices ({SERVICE})"
    )
    stored = stored_value(own_engine, "SELECT total_cents FROM orders WHERE id = :id", id=got["id"])
    assert stored == 1334, f"the orders table holds total_cents {stored!r}, not 1334 ({SERVICE})"
    assert got.get("user_id") == anna.id, (
        f"the order answered user_id {got.get('user_id')!r}, not the caller's id {anna.id}: "
        f"Order(user_id=user.id, ...) ({SERVICE})"
    )


@pytest.mark.exercise("22.1")
def test_an_order_naming_a_missing_item_is_a_404_and_stores_nothing(
    client: TestClient, anna: Shopper, own_engine: Engine
) -> None:
    real = new_item(client, anna, 5)
    before = orders_of(own_engine, anna.id)
    r = order(client, anna, (real, 1), (2**31 - 1, 1))
    assert r.status_code == 404, (
        f"POST {ORDERS} with an item id that names no item answered {why(r)}, not 404: raise "
        f"NotFound naming the item ({SERVICE})"
    )
    assert "2147483647" in r.text and "error" in body(r), (
        f"the 404 answered {body(r)!r}: NotFound(f'Item {{id}} not found') names the item, in "
        f"the envelope ({SERVICE})"
    )
    assert orders_of(own_engine, anna.id) == before, (
        f"a refused order was stored all the same: check every line before self.orders.add "
        f"({SERVICE})"
    )


@pytest.mark.exercise("22.1")
def test_the_price_is_copied_into_the_order_at_order_time(
    client: TestClient, anna: Shopper
) -> None:
    item_id = new_item(client, anna, 10)
    got = placed(client, anna, (item_id, 2))
    r = client.patch(
        f"{ITEMS}/{item_id}", json={"price": 99, "name": "Renamed"}, headers=anna.headers
    )
    assert r.status_code == 200, f"PATCH {ITEMS}/{{id}} by its owner answered {why(r)}"
    again = client.get(f"{ORDERS}/{got['id']}", headers=anna.headers)
    assert again.status_code == 200, f"GET {ORDERS}/{{id}} of one's own order answered {why(again)}"
    line = (again.json().get("lines") or [{}])[0]
    assert (line.get("unit_price"), again.json().get("total")) == ("10.00", "20.00"), (
        f"after the item's price went from 10 to 99, the old order answers unit price "
        f"{line.get('unit_price')!r} and total {again.json().get('total')!r}: copy the price into "
        f"the OrderLine when the order is placed ({SERVICE})"
    )
    assert line.get("name") != "Renamed", (
        f"renaming the item renamed the line of an old order: copy item.name into the line "
        f"({SERVICE})"
    )


@pytest.mark.exercise("22.1")
def test_two_lines_of_one_item_are_merged(client: TestClient, anna: Shopper) -> None:
    item_id, other = new_item(client, anna, 2.5), new_item(client, anna, 1)
    got = placed(client, anna, (item_id, 60), (other, 1), (item_id, 70))
    lines = [(line.get("item_id"), line.get("quantity")) for line in got.get("lines", [])]
    assert lines == [(item_id, 130), (other, 1)], (
        f"an order of 60, 1 and 70 (the first item twice) answered the lines {lines}: one line "
        f"per item, in the order first named, from data.quantities() ({SERVICE})"
    )
    assert got.get("total") == "326.00", (
        f"130 x 2.50 + 1 x 1.00 answered a total of {got.get('total')!r}, not '326.00' ({SERVICE})"
    )


def test_a_client_sent_total_or_price_is_refused(
    client: TestClient, anna: Shopper, own_engine: Engine
) -> None:
    item_id = new_item(client, anna, 50)
    before = orders_of(own_engine, anna.id)
    for sent in (
        {"lines": [{"item_id": item_id, "quantity": 1}], "total": "0.01"},
        {"lines": [{"item_id": item_id, "quantity": 1, "price": 0.01}]},
        {"lines": [{"item_id": item_id, "quantity": 1, "unit_price": "0.01"}]},
    ):
        r = client.post(ORDERS, json=sent, headers=anna.headers)
        assert r.status_code == 422, (
            f"POST {ORDERS} with {sent} answered {why(r)}, not 422: OrderCreate and OrderLineIn "
            f"forbid extra fields (ConfigDict(extra='forbid'), {SCHEMAS})"
        )
    assert orders_of(own_engine, anna.id) == before, (
        f"an order with a client's price was stored ({SCHEMAS})"
    )


def test_an_order_is_bounded(client: TestClient, anna: Shopper) -> None:
    item_id = new_item(client, anna, 1)
    for lines, what in (
        ([], "no line"),
        ([{"item_id": item_id, "quantity": 0}], "a quantity of 0"),
        ([{"item_id": item_id, "quantity": 101}], "a quantity of 101"),
        ([{"item_id": 0, "quantity": 1}], "item id 0"),
        ([{"item_id": 2**31, "quantity": 1}], "item id 2**31"),
        ([{"item_id": n, "quantity": 1} for n in range(1, 52)], "51 lines"),
    ):
        r = client.post(ORDERS, json={"lines": lines}, headers=anna.headers)
        assert r.status_code == 422 and "error" in body(r), (
            f"POST {ORDERS} with {what} answered {why(r)}, not a 422 in the envelope ({SCHEMAS})"
        )


def test_an_item_whose_price_an_order_cannot_take_is_refused(
    client: TestClient, anna: Shopper
) -> None:
    for price in (1e300, 1_000_000.01, 0.001):
        item_id = new_item(client, anna, price)
        r = order(client, anna, (item_id, 1))
        assert r.status_code == 403 and "error" in body(r), (
            f"POST {ORDERS} of an item priced {price} answered {why(r)}, not 403: "
            f"unit_price_cents refuses a price outside 0.01..MAX_UNIT_PRICE ({SERVICE})"
        )


def test_placing_an_order_needs_the_items_write_scope(client: TestClient, anna: Shopper) -> None:
    item_id = new_item(client, anna, 3)
    reader = shopper(client, "users:write")
    r = order(client, reader, (item_id, 1))
    assert r.status_code == 401, (
        f"POST {ORDERS} with a token without items:write answered {why(r)}, not 401: the route "
        f"takes OrderWriter, Security(get_current_user, scopes=['items:write']) ({ROUTES})"
    )


# --- 22.2: who sees which order ----------------------------------------------------------


@pytest.mark.exercise("22.2")
def test_a_user_sees_only_their_own_orders(
    client: TestClient, anna: Shopper, bert: Shopper
) -> None:
    theirs = placed(client, anna, (new_item(client, anna, 7), 1))
    r = client.get(f"{ORDERS}/{theirs['id']}", headers=bert.headers)
    assert r.status_code == 403, (
        f"GET {ORDERS}/{{id}} of another user's order answered {why(r)}, not 403: get_for "
        f"refuses an order whose user_id is not the caller's ({SERVICE})"
    )
    r = client.get(f"{ORDERS}/{2**31 - 1}", headers=bert.headers)
    assert r.status_code == 403, (
        f"GET {ORDERS}/{{id}} of no order at all answered {why(r)} to a user, not 403: as for "
        f"user records (chapter 17), a user learns nothing of ids that are not theirs, existing "
        f"or not ({SERVICE})"
    )
    mine = client.get(f"{ORDERS}/{theirs['id']}", headers=anna.headers)
    assert mine.status_code == 200, (
        f"GET {ORDERS}/{{id}} of one's own order answered {why(mine)} ({SERVICE})"
    )


@pytest.mark.exercise("22.2")
def test_an_admin_sees_every_order(client: TestClient, anna: Shopper) -> None:
    theirs = placed(client, anna, (new_item(client, anna, 8), 1))
    admin = admin_headers(client)
    r = client.get(f"{ORDERS}/{theirs['id']}", headers=admin)
    assert r.status_code == 200, (
        f"GET {ORDERS}/{{id}} of a user's order by an admin answered {why(r)}, not 200: an "
        f"admin (caller.role == 'admin') sees every order ({SERVICE})"
    )
    r = client.get(f"{ORDERS}/{2**31 - 1}", headers=admin)
    assert r.status_code == 404, (
        f"GET {ORDERS}/{{id}} of no order answered {why(r)} to an admin, not 404 ({SERVICE})"
    )


def test_the_listing_shows_the_callers_orders_and_all_to_an_admin(
    client: TestClient, anna: Shopper, bert: Shopper
) -> None:
    anna_order = placed(client, anna, (new_item(client, anna, 2), 1))
    bert_order = placed(client, bert, (new_item(client, bert, 2), 1))
    listed = client.get(ORDERS, params={"size": 100}, headers=bert.headers)
    assert listed.status_code == 200, f"GET {ORDERS} answered {why(listed)}"
    ids = {o["id"] for o in listed.json().get("orders", [])}
    assert bert_order["id"] in ids and anna_order["id"] not in ids, (
        f"GET {ORDERS} of a user listed {sorted(ids)}: only the caller's orders "
        f"(page_for, {SERVICE})"
    )
    every = client.get(ORDERS, params={"size": 100}, headers=admin_headers(client))
    assert every.status_code == 200 and every.json().get("total", 0) >= 2, (
        f"GET {ORDERS} of an admin answered {why(every)}: every user's orders ({SERVICE})"
    )


# --- 22.3: the router and its dependencies -----------------------------------------------


@pytest.mark.exercise("22.3")
def test_every_route_of_the_orders_router_needs_a_token(client: TestClient) -> None:
    for method, path in (("GET", LIMITS), ("GET", ORDERS), ("GET", f"{ORDERS}/1")):
        refused(client.request(method, path), f"{method} {path} without a token", ROUTES)
    r = client.post(ORDERS, json={"lines": [{"item_id": 1, "quantity": 1}]})
    refused(r, f"POST {ORDERS} without a token", ROUTES)


@pytest.mark.exercise("22.3")
def test_order_answers_say_no_store(client: TestClient, anna: Shopper) -> None:
    got = order(client, anna, (new_item(client, anna, 4), 1))
    for r, what in (
        (got, f"POST {ORDERS}"),
        (client.get(ORDERS, headers=anna.headers), f"GET {ORDERS}"),
        (client.get(LIMITS, headers=anna.headers), f"GET {LIMITS}"),
    ):
        assert r.is_success, f"{what} answered {why(r)}"
        assert r.headers.get("cache-control") == "no-store", (
            f"{what} answered Cache-Control {r.headers.get('cache-control')!r}, not 'no-store': "
            f"no_store sets it on the Response it is given, and the router lists it in "
            f"dependencies=[...] ({ROUTES})"
        )


def test_the_limits_are_readable(client: TestClient, anna: Shopper) -> None:
    r = client.get(LIMITS, headers=anna.headers)
    assert r.status_code == 200 and r.json() == {
        "max_lines": 50,
        "max_quantity": 100,
        "max_unit_price": "1000000.00",
    }, f"GET {LIMITS} answered {why(r)} {body(r)!r} ({ROUTES})"


def test_the_api_router_assembles_the_orders_router(client: TestClient) -> None:
    paths = client.get("/openapi.json").json().get("paths", {})
    assert ORDERS in paths and f"{ORDERS}/{{order_id}}" in paths, (
        f"the OpenAPI document has no {ORDERS}: include orders.router in api_router ({ROUTER})"
    )
    doubled = [path for path in paths if "/orders/orders" in path or path.startswith("/orders")]
    assert not doubled, (
        f"the orders routes are also served at {doubled}: include orders.router once, in "
        f"api_router, with no prefix of its own ({ROUTER})"
    )
    tags = {tag for method in paths[ORDERS].values() for tag in method.get("tags", [])}
    assert tags == {"orders"}, (
        f"{ORDERS} has the tags {tags}: tags=['orders'] on the router ({ROUTES})"
    )


def test_orders_are_stored_with_bounded_columns() -> None:
    tables = import_app_module("app.models").Order.metadata.tables  # type: ignore[attr-defined]
    lines = tables.get("order_lines")
    assert lines is not None, (
        "no order_lines table: OrderLine in app/models/order.py, imported by app/models/__init__.py"
    )
    assert lines.c.name.type.length == 100, (
        "OrderLine.name is a String(100), as long as an item's name"
    )


@pytest.mark.slow
def test_an_order_over_real_http(live_server: LiveServer) -> None:
    user = {"name": "Real", "email": f"{unique('real')}@example.com", "password": PASSWORD}
    assert live_server.post(USERS, json=user).status_code == 201
    token = live_server.post(
        "/api/v1/auth/token", data={"username": user["email"], "password": PASSWORD}
    ).json()["access_token"]
    who = Shopper(0, bearer(token))
    item_id = new_item(live_server, who, 19.99)
    got = order(live_server, who, (item_id, 3))
    assert got.status_code == 201 and got.json().get("total") == "59.97", (
        f"POST {ORDERS} over real HTTP answered {why(got)} {body(got)!r}, not a total of 59.97"
    )
    assert got.headers.get("cache-control") == "no-store", f"no Cache-Control: no-store ({ROUTES})"
