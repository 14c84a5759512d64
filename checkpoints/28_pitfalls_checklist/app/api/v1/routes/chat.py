"""WebSockets: an echo, chat rooms for logged-in users, and the page that uses them.

GET /chat is a small page (HTML and a script, no CDN) that logs in and joins a
room. /ws/echo answers each text message; /ws/chat/{room} relays each message to
everyone in the room. Both take text only, at most MAX_MESSAGE_BYTES per message:
binary data closes with 1003, a longer message with 1009. The rooms are the
manager's (app/realtime/manager.py); who is connecting is app/realtime/auth.py's.
"""

from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, WebSocket, status
from fastapi import Path as PathParam
from fastapi.responses import HTMLResponse, Response

from app.realtime.auth import BEARER_PROTOCOL, websocket_user
from app.realtime.manager import RoomFull, manager

router = APIRouter(tags=["chat"])

# The longest message a client may send, in UTF-8 bytes: a chat line, not a file. uvicorn's
# own limit (--ws-max-size, 16 MiB by default) still applies before this one.
MAX_MESSAGE_BYTES = 4096

# The chat page and its script: files beside the rooms, in app/realtime/.
PAGES = Path(__file__).resolve().parents[3] / "realtime"
# Read once, when the module is imported: a read per request would wait for the disk on the
# event loop, and every other request with it (chapter 28's audit).
CHAT_HTML = (PAGES / "chat.html").read_text()
CHAT_JS = (PAGES / "chat.js").read_text()

# A room's name: short lowercase words, so a name is never a way to grow memory or
# to smuggle markup. A name that does not match closes the handshake with 1008.
RoomName = Annotated[str, PathParam(pattern=r"^[a-z0-9][a-z0-9-]{0,31}$")]


async def receive_message(websocket: WebSocket) -> str | None:
    """The next text message; None once the socket is closed (by the client, or here for
    breaking a rule: binary data is 1003, a message over MAX_MESSAGE_BYTES is 1009)."""
    message = await websocket.receive()
    if message["type"] == "websocket.disconnect":
        return None
    text: str | None = message.get("text")
    if text is None:
        await websocket.close(status.WS_1003_UNSUPPORTED_DATA, "Text messages only")
        return None
    if len(text.encode()) > MAX_MESSAGE_BYTES:
        reason = f"A message is at most {MAX_MESSAGE_BYTES} bytes"
        await websocket.close(status.WS_1009_MESSAGE_TOO_BIG, reason)
        return None
    return text


@router.websocket("/ws/echo")
async def echo(websocket: WebSocket) -> None:
    """Answer every text message with `echo: <message>`, until the client closes."""
    await websocket.accept()
    while (text := await receive_message(websocket)) is not None:
        await websocket.send_text(f"echo: {text}")


def presence(event: str, room: str, user: str) -> dict[str, Any]:
    """What the room is told when someone joins or leaves, with how many are there now."""
    return {"type": event, "room": room, "user": user, "members": manager.members(room)}


async def relay(websocket: WebSocket, room: str, user: str) -> None:
    """Broadcast each text message of the socket to its room, until the socket closes."""
    while (text := await receive_message(websocket)) is not None:
        await manager.broadcast(room, {"type": "message", "room": room, "user": user, "text": text})


@router.websocket("/ws/chat/{room}")
async def chat_room(websocket: WebSocket, room: RoomName) -> None:
    """A chat room for logged-in users: the token as `Sec-WebSocket-Protocol: bearer, <token>`."""
    user = await websocket_user(websocket)
    if user is None:
        # Before accept(): the handshake is refused and nothing the client sends is read.
        await websocket.close(status.WS_1008_POLICY_VIOLATION, "Invalid or expired token")
        return
    # The subprotocol the client asked for: a browser drops a connection without it.
    await websocket.accept(subprotocol=BEARER_PROTOCOL)
    try:
        manager.connect(room, websocket)
    except RoomFull:
        await websocket.close(status.WS_1013_TRY_AGAIN_LATER, "The room is full")
        return
    try:
        await manager.broadcast(room, presence("joined", room, user.name))
        await relay(websocket, room, user.name)
    finally:
        # However the socket ended (closed, dropped, too big, an error), it leaves the room.
        manager.disconnect(room, websocket)
        await manager.broadcast(room, presence("left", room, user.name))


@router.get("/chat", response_class=HTMLResponse, include_in_schema=False)
async def chat_page() -> HTMLResponse:
    """The chat page: a login form, a room, the messages."""
    return HTMLResponse(CHAT_HTML)


@router.get("/chat.js", include_in_schema=False)
async def chat_script() -> Response:
    """The page's script, a file of its own: a Content-Security-Policy may forbid inline ones."""
    return Response(CHAT_JS, media_type="text/javascript")
