"""Chapter 20: WebSockets: an echo, chat rooms behind the app's JWT, clean disconnects,
limits on messages, rooms and members, and slow clients dropped instead of waited for.

In process, TestClient.websocket_connect drives the routes; the connection manager is
tested on its own with fake sockets (one that never takes a message, one that is gone);
the slow tests use a real uvicorn, a real WebSocket client and, where one is installed,
a real headless Chromium with two pages of the chat page.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import json
import shutil
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import anyio
import pytest
from conftest import import_app_module, lent_out, unique, why
from fastapi.testclient import TestClient
from sqlalchemy import Engine, text
from sqlalchemy.orm import Session
from starlette.websockets import WebSocketDisconnect

from workbook.server import LiveServer, WebSocketClient, WebSocketRefused

ECHO = "/api/v1/ws/echo"
CHAT = "/api/v1/ws/chat/{room}"
PAGE = "/api/v1/chat"
TOKEN = "/api/v1/auth/token"
USERS = "/api/v1/users"
MANAGER_FILE = "app/realtime/manager.py"
ROUTE_FILE = "app/api/v1/routes/chat.py"
ALICE = {"username": "alice@example.com", "password": "alice-secret-1"}
PASSWORD = "chatter-secret-1"


def manager_module() -> Any:
    return import_app_module("app.realtime.manager")


def chat_module() -> Any:
    return import_app_module("app.api.v1.routes.chat")


def jwt_module() -> Any:
    return import_app_module("app.core.jwt_tokens")


def the_manager() -> Any:
    return manager_module().manager


def alice_token(client: Any) -> str:
    r = client.post(TOKEN, data=ALICE)
    assert r.status_code == 200, f"POST {TOKEN} as Alice answered {why(r)}"
    return str(r.json()["access_token"])


def sign_up(client: Any) -> dict[str, Any]:
    """A new user, and a token of theirs made with the app's own create_access_token."""
    user = {"name": "Chatter", "email": f"{unique('chat')}@example.com", "password": PASSWORD}
    r = client.post(USERS, json=user)
    assert r.status_code == 201, f"POST {USERS} answered {why(r)}"
    token = jwt_module().create_access_token(r.json()["id"])
    return {**user, "id": r.json()["id"], "token": token}


def protocols(token: str) -> list[str]:
    return ["bearer", token]


def receive(ws: Any, seconds: float = 5.0) -> dict[str, Any]:
    """The next ASGI message the app sent to the in-process socket, within `seconds`."""

    async def next_message() -> Any:
        with anyio.fail_after(seconds):
            return await ws._send_rx.receive()  # the TestClient's queue, read with a timeout

    try:
        return dict(ws.portal.call(next_message))
    except TimeoutError:
        pytest.fail(f"nothing arrived within {seconds:.0f} s: does the route send, or is it stuck?")


def event(ws: Any, what: str) -> Any:
    """The next message, as JSON: fails naming the close code when the app closed instead."""
    message = receive(ws)
    if message["type"] == "websocket.close":
        pytest.fail(
            f"waiting for {what}, the app closed the socket with {message.get('code')} "
            f"{message.get('reason') or ''}".rstrip()
        )
    return json.loads(message.get("text") or "null")


@contextmanager
def joined(client: TestClient, room: str, token: str) -> Iterator[Any]:
    """An accepted chat socket in `room`, its `joined` message read.

    Leaving it, the TestClient sends the disconnect and then cancels the route's task; when
    the route is still busy (a broadcast of the departure), the cancellation can surface in
    the test's thread as a CancelledError. That is the test client's way of ending the
    task, not the app's answer: after the yield it is ignored, and the tests read the
    manager to judge what the route did.
    """
    yielded = False
    try:
        with client.websocket_connect(CHAT.format(room=room), subprotocols=protocols(token)) as ws:
            assert ws.accepted_subprotocol == "bearer", (
                f"the chat accepted the handshake with subprotocol {ws.accepted_subprotocol!r}: "
                f"accept(subprotocol=BEARER_PROTOCOL), or a browser drops the connection "
                f"({ROUTE_FILE})"
            )
            hello = event(ws, "the joined message")
            assert isinstance(hello, dict) and hello.get("type") == "joined", (
                f"the first message in a room was {hello!r}, not the joined message ({ROUTE_FILE})"
            )
            yielded = True
            yield ws
    except concurrent.futures.CancelledError:
        if not yielded:
            raise
    except WebSocketDisconnect as refused:
        pytest.fail(
            f"a valid token was refused with {refused.code} {refused.reason}: check the token "
            f"with websocket_user, then accept ({ROUTE_FILE})"
        )


def members_become(room: str, count: int, seconds: float = 3.0) -> int:
    """Wait until the manager has `count` members in the room; the count it has then."""
    deadline = time.monotonic() + seconds
    while (members := the_manager().members(room)) != count and time.monotonic() < deadline:
        time.sleep(0.01)
    return int(members)


def refusal(client: TestClient, path: str, subprotocols: list[str] | None) -> int | None:
    """The close code of a handshake the app refused before accepting; None if accepted."""
    try:
        with client.websocket_connect(path, subprotocols=subprotocols) as ws:
            message = receive(ws)
    except WebSocketDisconnect as refused:
        return refused.code
    pytest.fail(
        f"{path} accepted the handshake (then sent {message.get('type')} "
        f"{message.get('code', '')}): check the token before websocket.accept(), and close "
        f"with 1008 without accepting ({ROUTE_FILE})"
    )


# --- the echo ------------------------------------------------------------------------------


def test_the_echo_answers_each_message(client: TestClient) -> None:
    with client.websocket_connect(ECHO) as ws:
        for text_sent in ("hello", "ça va?"):
            ws.send_text(text_sent)
            answer = receive(ws)
            assert answer.get("text") == f"echo: {text_sent}", (
                f"{ECHO} answered {answer!r} to {text_sent!r}, not 'echo: {text_sent}' "
                f"({ROUTE_FILE})"
            )


def test_a_too_big_or_binary_message_closes_the_echo(client: TestClient) -> None:
    limit = chat_module().MAX_MESSAGE_BYTES
    for sent, code, what in (("é" * (limit // 2 + 1), 1009, "too big"), (b"\x00", 1003, "binary")):
        with client.websocket_connect(ECHO) as ws:
            if isinstance(sent, bytes):
                ws.send_bytes(sent)
            else:
                ws.send_text(sent)
            message = receive(ws)
            assert message["type"] == "websocket.close" and message.get("code") == code, (
                f"a {what} message to {ECHO} got {message!r}, not a close with {code} "
                f"(receive_text in {ROUTE_FILE} counts bytes, not characters)"
            )


# --- who may join: the token, at the handshake ----------------------------------------------


@pytest.mark.exercise("20.3")
def test_no_token_or_a_forged_one_is_refused_with_1008_before_accepting(
    client: TestClient,
) -> None:
    path = CHAT.format(room=unique("room"))
    forged = alice_token(client)[:-4] + "AAAA"
    handshakes: list[tuple[list[str] | None, str]] = [
        (None, "no token"),
        (["bearer", "not-a-jwt"], "a forged token"),
        (["bearer", forged], "a token with a forged signature"),
    ]
    for subprotocols, what in handshakes:
        code = refusal(client, path, subprotocols)
        assert code == 1008, (
            f"{what} was refused with {code}, not 1008 (policy violation): "
            f"websocket.close(status.WS_1008_POLICY_VIOLATION) ({ROUTE_FILE})"
        )


@pytest.mark.exercise("20.3")
def test_an_expired_token_is_refused_with_1008(client: TestClient) -> None:
    user = sign_up(client)
    yesterday = datetime.now(UTC) - timedelta(days=1)
    old = jwt_module().create_access_token(user["id"], now=yesterday)
    code = refusal(client, CHAT.format(room=unique("room")), protocols(old))
    assert code == 1008, f"an expired token was refused with {code}, not 1008 ({ROUTE_FILE})"


@pytest.mark.exercise("20.3")
def test_the_token_of_a_deleted_or_deactivated_user_is_refused(
    client: TestClient, own_engine: Engine
) -> None:
    gone, inactive = sign_up(client), sign_up(client)
    with Session(own_engine) as db:
        db.execute(text("DELETE FROM users WHERE id = :id"), {"id": gone["id"]})
        db.execute(
            text("UPDATE users SET is_active = :no WHERE id = :id"),
            {"no": False, "id": inactive["id"]},
        )
        db.commit()
    for user, what in ((gone, "deleted"), (inactive, "deactivated")):
        code = refusal(client, CHAT.format(room=unique("room")), protocols(user["token"]))
        assert code == 1008, (
            f"the token of a {what} user was refused with {code}, not 1008: websocket_user "
            f"(app/realtime/auth.py) reads the user, as get_current_user does"
        )


def test_a_room_name_is_bounded(client: TestClient) -> None:
    token = alice_token(client)
    for room in ("Lobby", "a" * 33, "room!", "-dash-first"):
        code = refusal(client, CHAT.format(room=room), protocols(token))
        assert code == 1008, (
            f"room name {room!r} was refused with {code}, not 1008: RoomName's pattern "
            f"in {ROUTE_FILE}"
        )


@pytest.mark.exercise("20.1", "20.2", "20.3")
def test_a_valid_token_joins_with_the_bearer_subprotocol(client: TestClient) -> None:
    room = unique("room")
    with joined(client, room, alice_token(client)):
        assert members_become(room, 1) == 1, (
            f"Alice joined {room}, the manager counts {the_manager().members(room)} member(s): "
            f"manager.connect(room, websocket) after accepting ({ROUTE_FILE})"
        )


@pytest.mark.exercise("20.1", "20.2", "20.3")
def test_a_chat_connection_holds_no_database_connection(client: TestClient) -> None:
    with joined(client, unique("room"), alice_token(client)):
        held = lent_out()
    assert held == 0, (
        f"an open chat socket holds {held} database connection(s): read the user in a "
        f"session of its own (app/realtime/auth.py), never Depends(get_db) in a WebSocket route"
    )


# --- broadcasts, disconnects, limits: through the route ---------------------------------------


@pytest.mark.exercise("20.1", "20.2", "20.3")
def test_a_message_reaches_everyone_in_the_room_and_nobody_else(client: TestClient) -> None:
    room, elsewhere = unique("room"), unique("room")
    token = alice_token(client)
    with joined(client, room, token) as first, joined(client, room, token) as second:
        event(first, "the second member's joined message")
        with joined(client, elsewhere, token) as other:
            second.send_text("hello room")
            for ws, who in ((first, "the sender's room-mate"), (second, "the sender")):
                said = event(ws, "the message")
                assert said.get("type") == "message" and said.get("text") == "hello room", (
                    f"{who} got {said!r}, not the message: broadcast(room, ...) to each member "
                    f"({MANAGER_FILE})"
                )
            other.send_text("hello elsewhere")
            said = event(other, "its own message")
            assert said.get("text") == "hello elsewhere", (
                f"a member of another room got {said!r}: broadcast sends to one room's members "
                f"only, not to every room ({MANAGER_FILE})"
            )


@pytest.mark.exercise("20.1", "20.2", "20.3")
def test_a_closed_connection_leaves_the_room(client: TestClient) -> None:
    # Leaving a `with` of the TestClient sends the disconnect, then cancels the route's task
    # (as a server shutting down would): only a finally: block still removes the socket.
    room = unique("room")
    token = alice_token(client)
    with joined(client, room, token) as staying:
        with joined(client, room, token):
            event(staying, "the second member's joined message")
            assert members_become(room, 2) == 2, (
                f"two members joined {room}: the manager counts {the_manager().members(room)}"
            )
        remaining = members_become(room, 1)
        assert remaining == 1, (
            f"after one of 2 members closed, the manager counts {remaining}: "
            f"manager.disconnect in a finally: block of {ROUTE_FILE}"
        )
    assert members_become(room, 0) == 0 and room not in the_manager().rooms, (
        f"after everyone closed, the manager still holds {room}: {the_manager().rooms.get(room)}"
        f" (disconnect removes the socket, and the room once empty: {MANAGER_FILE})"
    )


@pytest.mark.exercise("20.1", "20.2", "20.3")
def test_a_too_big_message_closes_with_1009_and_leaves_no_dead_connection(
    client: TestClient,
) -> None:
    room = unique("room")
    limit = chat_module().MAX_MESSAGE_BYTES
    with joined(client, room, alice_token(client)) as ws:
        ws.send_text("x" * (limit + 1))
        message = receive(ws)
        assert message["type"] == "websocket.close" and message.get("code") == 1009, (
            f"a message over {limit} bytes got {message!r}, not a close with 1009 ({ROUTE_FILE})"
        )
        remaining = members_become(room, 0)
    assert remaining == 0, (
        f"the socket closed for a too-big message is still one of {remaining} member(s) of the "
        f"room: leave the room in finally:, not only in except WebSocketDisconnect: ({ROUTE_FILE})"
    )


@pytest.mark.exercise("20.1", "20.2", "20.3")
def test_a_full_room_closes_with_1013(client: TestClient, monkeypatch: pytest.MonkeyPatch) -> None:
    room = unique("room")
    token = alice_token(client)
    monkeypatch.setattr(the_manager(), "max_members", 1)
    with joined(client, room, token):
        with client.websocket_connect(CHAT.format(room=room), subprotocols=protocols(token)) as ws:
            message = receive(ws)
        assert message["type"] == "websocket.close" and message.get("code") == 1013, (
            f"a second member of a room of at most 1 got {message!r}, not a close with 1013 "
            f"(connect raises RoomFull: {MANAGER_FILE}, {ROUTE_FILE})"
        )
    assert members_become(room, 0) == 0, f"a refused member was left in {room} ({ROUTE_FILE})"


# --- the manager on its own, with fake sockets ---------------------------------------------------


class FakeSocket:
    """What the manager uses of a WebSocket: send_json and close."""

    def __init__(self, behaviour: str = "ok") -> None:
        self.behaviour = behaviour
        self.sent: list[Any] = []
        self.closed_with: int | None = None

    async def send_json(self, message: Any) -> None:
        if self.behaviour == "slow":
            await asyncio.sleep(60)  # a client that never reads
        if self.behaviour == "gone":
            from starlette.websockets import WebSocketDisconnected

            raise WebSocketDisconnected('Cannot call "send" once a close message has been sent.')
        if self.behaviour == "reset":
            raise ConnectionResetError("Connection reset by peer")
        self.sent.append(message)

    async def close(self, code: int = 1000, reason: str | None = None) -> None:
        self.closed_with = code


def new_manager(**limits: Any) -> Any:
    try:
        return manager_module().ConnectionManager(**limits)
    except TypeError as error:
        pytest.fail(
            f"ConnectionManager({', '.join(f'{k}={v}' for k, v in limits.items())}) failed: "
            f"{error} (its __init__ takes max_rooms, max_members, send_timeout: {MANAGER_FILE})"
        )


def run(coroutine: Any, seconds: float = 5.0) -> tuple[Any, float]:
    """Run a coroutine, failing after `seconds`; its result and how long it took."""

    async def bounded() -> Any:
        return await asyncio.wait_for(coroutine, seconds)

    start = time.perf_counter()
    try:
        result = asyncio.run(bounded())
    except TimeoutError:
        pytest.fail(
            f"still waiting after {seconds:.0f} s: a client that never reads stalled the send"
        )
    return result, time.perf_counter() - start


@pytest.mark.exercise("20.1")
def test_the_manager_keeps_rooms_apart_and_forgets_empty_ones() -> None:
    manager = new_manager()
    a, b, c = FakeSocket(), FakeSocket(), FakeSocket()
    manager.connect("one", a)
    manager.connect("one", b)
    manager.connect("two", c)
    counts = (manager.members("one"), manager.members("two"), manager.members("none"))
    assert counts == (2, 1, 0), f"members of one, two and an unknown room: {counts}, not (2, 1, 0)"
    manager.disconnect("one", a)
    manager.disconnect("one", a)  # twice: the route and a broadcast may both drop it
    manager.disconnect("none", a)
    manager.disconnect("one", b)
    assert "one" not in manager.rooms and manager.members("two") == 1, (
        f"after both left room one, the rooms are {manager.rooms}: disconnect deletes a room "
        f"once it is empty, and does nothing for a socket or room already gone ({MANAGER_FILE})"
    )


@pytest.mark.exercise("20.1")
def test_the_manager_bounds_rooms_and_members() -> None:
    room_full = manager_module().RoomFull
    manager = new_manager(max_rooms=2, max_members=2)
    manager.connect("one", FakeSocket())
    manager.connect("one", FakeSocket())
    manager.connect("two", FakeSocket())
    for room, what in (("one", "a third member of a room of 2"), ("three", "a third room of 2")):
        with pytest.raises(room_full):
            manager.connect(room, FakeSocket())
            pytest.fail(f"{what} was let in: connect raises RoomFull ({MANAGER_FILE})")
    assert manager.members("one") == 2 and "three" not in manager.rooms, (
        f"a refused connect changed the rooms: {manager.rooms} ({MANAGER_FILE})"
    )


@pytest.mark.exercise("20.1", "20.2")
def test_a_broadcast_goes_to_its_room_only() -> None:
    manager = new_manager()
    here, there = FakeSocket(), FakeSocket()
    manager.connect("here", here)
    manager.connect("there", there)
    run(manager.broadcast("here", {"text": "hi"}))
    assert here.sent == [{"text": "hi"}] and there.sent == [], (
        f"a broadcast to 'here' reached here {here.sent} and there {there.sent}: send to "
        f"self.rooms[room] only ({MANAGER_FILE})"
    )


@pytest.mark.exercise("20.1", "20.2")
def test_a_slow_client_is_dropped_without_stalling_the_room() -> None:
    manager = new_manager(send_timeout=0.5)
    fast, slow = FakeSocket(), FakeSocket("slow")
    manager.connect("room", fast)
    manager.connect("room", slow)
    _, took = run(manager.broadcast("room", {"n": 1}))
    assert fast.sent == [{"n": 1}], f"the fast client got {fast.sent} beside a slow one"
    # Without a timeout the broadcast would wait the whole 5 s of run(): 4 s is a wide margin.
    assert took < 4.0, (
        f"a broadcast took {took:.1f} s with a client that never reads, and a send timeout of "
        f"0.5 s: send with asyncio.wait_for (send_with_timeout in {MANAGER_FILE})"
    )
    assert manager.members("room") == 1 and slow.closed_with is not None, (
        f"the slow client is still a member ({manager.members('room')} members), or was not "
        f"closed: a broadcast drops and closes each client that did not take the message"
    )
    run(manager.broadcast("room", {"n": 2}))
    assert fast.sent == [{"n": 1}, {"n": 2}], (
        f"after the slow client was dropped, the fast one got {fast.sent} ({MANAGER_FILE})"
    )


@pytest.mark.exercise("20.1", "20.2")
def test_slow_clients_are_waited_for_at_once_not_one_after_another() -> None:
    # At once: about one timeout, 0.3 s; one after another: 8 of them, 2.4 s.
    manager = new_manager(send_timeout=0.3)
    for _ in range(8):
        manager.connect("room", FakeSocket("slow"))
    _, took = run(manager.broadcast("room", {"n": 1}))
    assert took < 1.5, (
        f"a broadcast to 8 slow clients took {took:.1f} s with a timeout of 0.3 s: send to all "
        f"at once (asyncio.gather), not one await after another ({MANAGER_FILE})"
    )
    assert manager.members("room") == 0, f"{manager.members('room')} slow client(s) kept"


@pytest.mark.exercise("20.1", "20.2")
def test_a_dead_client_is_dropped_and_the_others_still_get_the_message() -> None:
    manager = new_manager(send_timeout=1.0)
    alive, gone, reset = FakeSocket(), FakeSocket("gone"), FakeSocket("reset")
    for ws in (gone, alive, reset):
        manager.connect("room", ws)
    try:
        run(manager.broadcast("room", {"n": 1}))
    except Exception as error:
        pytest.fail(
            f"a broadcast to a closed socket raised {type(error).__name__}: {error}: any error "
            f"of one send (not only WebSocketDisconnect) drops that client ({MANAGER_FILE})"
        )
    assert alive.sent == [{"n": 1}] and manager.members("room") == 1, (
        f"beside two dead clients, the live one got {alive.sent} and the room has "
        f"{manager.members('room')} member(s), not 1 ({MANAGER_FILE})"
    )


@pytest.mark.exercise("20.2")
def test_send_with_timeout_says_whether_the_message_went() -> None:
    send = manager_module().send_with_timeout
    outcomes = []
    for behaviour in ("ok", "slow", "gone", "reset"):
        try:
            (went, took) = run(send(FakeSocket(behaviour), {"n": 1}, 0.2))
        except Exception as error:
            pytest.fail(
                f"send_with_timeout to a {behaviour!r} client raised {type(error).__name__}: "
                f"it answers False for any error or timeout ({MANAGER_FILE})"
            )
        outcomes.append(went)
        assert took < 3, f"send_with_timeout(..., 0.2) to a {behaviour!r} client took {took:.1f} s"
    assert outcomes == [True, False, False, False], (
        f"send_with_timeout answered {outcomes} for a client that reads, one that never does, "
        f"a closed one and a reset one: [True, False, False, False] ({MANAGER_FILE})"
    )


# --- the page ----------------------------------------------------------------------------------


def test_the_chat_page_and_its_script_come_from_the_app(client: TestClient) -> None:
    page = client.get(PAGE)
    assert page.status_code == 200 and "text/html" in page.headers.get("content-type", ""), (
        f"GET {PAGE} answered {why(page)}, not an HTML page ({ROUTE_FILE})"
    )
    assert 'src="chat.js"' in page.text and "//" not in page.text.split("<body", 1)[0], (
        f"GET {PAGE}: the page loads its script as chat.js, from the app, no CDN"
    )
    script = client.get("/api/v1/chat.js")
    assert script.status_code == 200 and "javascript" in script.headers.get("content-type", ""), (
        f"GET /api/v1/chat.js answered {why(script)} ({ROUTE_FILE})"
    )
    assert '"bearer"' in script.text, "the page's script sends no bearer subprotocol"


# --- over real HTTP: uvicorn, a real client, a real browser ---------------------------------------


def live_token(server: LiveServer, form: dict[str, str] = ALICE) -> str:
    r = server.post(TOKEN, data=form)
    assert r.status_code == 200, f"POST {TOKEN} answered {why(r)}"
    return str(r.json()["access_token"])


def live_event(ws: WebSocketClient, what: str) -> Any:
    message = ws.receive_json()
    assert message is not None, f"waiting for {what}, the server {ws.ended}"
    return message


@pytest.mark.slow
def test_two_clients_chat_in_one_room_over_real_uvicorn(live_server: LiveServer) -> None:
    room = unique("room")
    token = live_token(live_server)
    path = CHAT.format(room=room)
    with live_server.websocket(path, protocols(token)) as first:
        assert first.subprotocol == "bearer", f"uvicorn answered subprotocol {first.subprotocol!r}"
        live_event(first, "the joined message")
        with live_server.websocket(path, protocols(token)) as second:
            live_event(second, "the joined message")
            live_event(first, "the second member's joined message")
            second.send("over the wire")
            for ws in (first, second):
                said = live_event(ws, "the broadcast")
                assert said.get("text") == "over the wire", f"a member got {said!r} ({ROUTE_FILE})"
        left = live_event(first, "the left message")
        assert left.get("type") == "left" and left.get("members") == 1, (
            f"after the second client closed, the first got {left!r} ({ROUTE_FILE})"
        )
    assert token not in live_server.log(), "the token appears in uvicorn's log"


@pytest.mark.slow
def test_a_refused_handshake_is_an_http_403_for_a_real_client(live_server: LiveServer) -> None:
    with pytest.raises(WebSocketRefused) as refused:
        live_server.websocket(CHAT.format(room=unique("room")), ["bearer", "forged"]).close()
    assert refused.value.status == 403, f"uvicorn answered a refused handshake with {refused.value}"


@pytest.mark.slow
def test_uvicorns_ws_max_size_closes_a_huge_message_with_1009(app_dir: Path) -> None:
    with LiveServer(app_dir, "app.main:app", "--ws-max-size", "16384") as server:
        with server.websocket(ECHO) as ws:
            ws.send("x" * 20_000)
            answer = ws.receive()
    assert answer is None and ws.close_code == 1009, (
        f"a 20 kB message under --ws-max-size 16384 got {answer!r}, {ws.ended}"
    )


CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")


class DevTools:
    """The Chrome DevTools Protocol over the browser's WebSocket: commands and their answers."""

    def __init__(self, url: str) -> None:
        self.ws = WebSocketClient.open(url, timeout=20)
        self.next_id = 0

    def call(self, method: str, session: str | None = None, **params: Any) -> Any:
        self.next_id += 1
        command: dict[str, Any] = {"id": self.next_id, "method": method, "params": params}
        if session:
            command["sessionId"] = session
        self.ws.send(json.dumps(command))
        while True:  # events arrive in between: skip them
            answer = self.ws.receive_json(timeout=20)
            assert answer is not None, f"Chromium closed the DevTools connection: {self.ws.ended}"
            if answer.get("id") == self.next_id:
                assert "error" not in answer, f"Chromium refused {method}: {answer['error']}"
                return answer["result"]

    def evaluate(self, session: str, expression: str) -> Any:
        result = self.call(
            "Runtime.evaluate", session, expression=expression, awaitPromise=True,
            returnByValue=True,
        )  # fmt: skip
        assert "exceptionDetails" not in result, f"the page raised: {result['exceptionDetails']}"
        return result["result"].get("value")

    def wait_for(self, session: str, expression: str, what: str, seconds: float = 15) -> Any:
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            value = self.evaluate(session, expression)
            if value:
                return value
            time.sleep(0.1)
        status = self.evaluate(session, "document.getElementById('status')?.textContent")
        pytest.fail(f"the chat page never showed {what} (its status: {status!r})")


@contextmanager
def chromium(profile: Path) -> Iterator[DevTools]:
    assert CHROMIUM is not None
    browser = subprocess.Popen(
        [CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
         "--disable-background-networking", "--disable-component-update",
         f"--user-data-dir={profile}", "--remote-debugging-port=0",
         "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1", "about:blank"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    try:
        active = profile / "DevToolsActivePort"  # the port it chose, and the browser's path
        deadline = time.monotonic() + 30
        while not (active.exists() and len(active.read_text().split()) == 2):
            assert browser.poll() is None and time.monotonic() < deadline, "Chromium did not start"
            time.sleep(0.05)
        port, path = active.read_text().split()
        yield DevTools(f"ws://127.0.0.1:{port}{path}")
    finally:
        browser.terminate()
        try:
            browser.wait(timeout=10)
        except subprocess.TimeoutExpired:
            browser.kill()
            browser.wait()


@pytest.mark.slow
@pytest.mark.skipif(CHROMIUM is None, reason="no Chromium here (apt-get install chromium)")
def test_two_chat_pages_exchange_a_message_in_a_real_browser(
    live_server: LiveServer, tmp_path: Path
) -> None:
    other = {"name": "Browsy", "email": f"{unique('browsy')}@example.com", "password": PASSWORD}
    assert live_server.post(USERS, json=other).status_code == 201
    room = unique("room")
    with chromium(tmp_path / "profile") as devtools:
        pages = []
        for email, password in ((ALICE["username"], ALICE["password"]), (other["email"], PASSWORD)):
            target = devtools.call("Target.createTarget", url=f"{live_server.url}{PAGE}")
            session = devtools.call("Target.attachToTarget", targetId=target["targetId"],
                                    flatten=True)["sessionId"]  # fmt: skip
            loaded = "document.readyState === 'complete' && !!document.getElementById('login')"
            devtools.wait_for(session, loaded, "a loaded page")
            fill = {"email": email, "password": password, "room": room}
            devtools.evaluate(
                session,
                f"const fields = {json.dumps(fill)};"
                "for (const [id, value] of Object.entries(fields)) "
                "document.getElementById(id).value = value;"
                "document.getElementById('login').requestSubmit(); true",
            )
            inside = f"document.getElementById('status').textContent === 'in {room}'"
            devtools.wait_for(session, inside, f"'in {room}' after logging in")
            pages.append(session)
        first, second = pages
        devtools.evaluate(
            second,
            "document.getElementById('text').value = 'hello from a browser';"
            "document.getElementById('send').requestSubmit(); true",
        )
        line = devtools.wait_for(
            first,
            "[...document.querySelectorAll('#log li')].map(li => li.textContent)"
            ".find(t => t.includes('hello from a browser')) || ''",
            "the other page's message",
        )
    assert line == "Browsy: hello from a browser", f"the first page showed {line!r}"
