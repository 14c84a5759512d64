"""The app's behaviour, through its HTTP API."""

import httpx
import pytest
from fastapi.testclient import TestClient

PASSWORD = "tested-secret-12"


def sign_up(client: TestClient, name: str) -> dict[str, str]:
    """Sign a user up and log in; the headers that carry the user's token."""
    email = f"{name.lower()}@example.com"
    r = client.post("/api/v1/users", json={"name": name, "email": email, "password": PASSWORD})
    assert r.status_code == 201, r.text
    r = client.post("/api/v1/auth/token", data={"username": email, "password": PASSWORD})
    assert r.status_code == 200, r.text
    return {"Authorization": f"Bearer {r.json()['access_token']}"}


def test_health(client: TestClient) -> None:
    r = client.get("/api/v1/health")
    assert r.status_code == 200, r.text


def test_sign_up_answers_201(client: TestClient) -> None:
    sign_up(client, "Vic")


def test_sign_up_twice_is_a_conflict(client: TestClient) -> None:
    sign_up(client, "Vic")
    r = client.post(
        "/api/v1/users", json={"name": "Vic", "email": "vic@example.com", "password": PASSWORD}
    )
    assert r.status_code == 409, r.text


def test_item_name_is_bounded(client: TestClient) -> None:
    headers = sign_up(client, "Vic")
    r = client.post("/api/v1/items", json={"name": "x" * 101, "price": 1}, headers=headers)
    assert r.status_code == 422, r.text
    r = client.post("/api/v1/items", json={"name": "x" * 100, "price": 1}, headers=headers)
    assert r.status_code == 201, r.text


def test_owner_can_change_own_item(client: TestClient) -> None:
    headers = sign_up(client, "Vic")
    r = client.post("/api/v1/items", json={"name": "lamp", "price": 3}, headers=headers)
    item_id = r.json()["id"]
    r = client.patch(f"/api/v1/items/{item_id}", json={"price": 4}, headers=headers)
    assert r.status_code == 200, r.text
    r = client.get(f"/api/v2/items/{item_id}")
    assert r.json()["title"] == "lamp"
    r = client.get("/api/v2/items", params={"size": 1})
    assert r.status_code == 200, r.text
    r = client.delete(f"/api/v1/items/{item_id}", headers=headers)
    assert r.status_code == 204, r.text


def test_another_user_cannot_delete_an_item(client: TestClient) -> None:
    owner = sign_up(client, "Vic")
    other = sign_up(client, "Eve")
    r = client.post("/api/v1/items", json={"name": "lamp", "price": 3}, headers=owner)
    item_id = r.json()["id"]
    r = client.delete(f"/api/v1/items/{item_id}", headers=other)
    assert r.status_code == 403, r.text
    assert client.get(f"/api/v1/items/{item_id}").status_code == 200


@pytest.mark.anyio
async def test_health_async(async_client: httpx.AsyncClient) -> None:
    r = await async_client.get("/api/v1/health")
    assert r.status_code == 200, r.text


def test_users_read_change_and_leave(client: TestClient) -> None:
    headers = sign_up(client, "Vic")
    me = client.get("/api/v1/users/me", headers=headers).json()
    assert me["email"] == "vic@example.com"
    r = client.get(f"/api/v1/users/{me['id']}", headers=headers)
    assert r.status_code == 200, r.text
    r = client.patch(f"/api/v1/users/{me['id']}", json={"name": "Victor"}, headers=headers)
    assert r.json()["name"] == "Victor", r.text
    r = client.get("/api/v1/users", headers=headers)
    assert r.status_code == 401, r.text
    r = client.delete(f"/api/v1/users/{me['id']}", headers=headers)
    assert r.status_code == 204, r.text


def test_orders_are_priced_by_the_server(client: TestClient) -> None:
    headers = sign_up(client, "Vic")
    r = client.post("/api/v1/items", json={"name": "lamp", "price": 3}, headers=headers)
    line = {"item_id": r.json()["id"], "quantity": 2}
    r = client.post("/api/v1/orders", json={"lines": [line]}, headers=headers)
    assert r.status_code == 201, r.text
    order = r.json()
    assert client.get(f"/api/v1/orders/{order['id']}", headers=headers).status_code == 200
    assert len(client.get("/api/v1/orders", headers=headers).json()) >= 1
    assert client.get("/api/v1/orders/limits", headers=headers).status_code == 200


def test_files_and_session(client: TestClient) -> None:
    sign_up(client, "Vic")
    r = client.post("/api/v1/files", files={"file": ("a.txt", b"hello", "text/plain")})
    assert r.status_code == 201, r.text
    r = client.post(
        "/api/v1/session/login", json={"email": "vic@example.com", "password": PASSWORD}
    )
    assert r.status_code == 200, r.text
    assert client.get("/api/v1/session/me").status_code == 200
    assert client.post("/api/v1/session/logout").status_code == 204


def test_websocket_echo(client: TestClient) -> None:
    with client.websocket_connect("/api/v1/ws/echo") as websocket:
        websocket.send_text("hi")
        assert websocket.receive_text() == "echo: hi"


def test_chat_room_needs_a_token(client: TestClient) -> None:
    token = sign_up(client, "Vic")["Authorization"].removeprefix("Bearer ")
    with client.websocket_connect("/api/v1/ws/chat/lobby", subprotocols=["bearer", token]) as ws:
        assert ws.receive_json()["type"] == "joined"
        ws.send_text("hello")
        assert "hello" in ws.receive_text()
    assert client.get("/api/v1/chat").status_code == 200
