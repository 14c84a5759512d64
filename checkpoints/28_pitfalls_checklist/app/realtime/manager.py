"""The chat rooms: who is connected to which room, and sending a message to a whole room.

One job: the rooms. The manager keeps, per room name, the set of open WebSockets;
the route (app/api/v1/routes/chat.py) adds a socket once it has accepted it and
removes it when the socket goes, whatever the reason. A broadcast sends to every
member at once, each with a timeout: a client that does not read (a phone in a
tunnel, a stalled tab) is dropped, never waited for.

The rooms live in this process's memory: with several workers (chapter 27), each
has its own rooms, and a room spanning workers needs a broker (Redis pub/sub).
"""

import asyncio
import contextlib
from typing import Any

from fastapi import WebSocket

# The limits of the rooms: module constants, read by the route and the tests.
MAX_ROOMS = 100  # rooms open at once in this process
MAX_MEMBERS = 50  # connections in one room
SEND_TIMEOUT_SECONDS = 2.0  # the longest one client may take to take a message

# The close code for a client dropped for not keeping up: 1008, policy violation.
TOO_SLOW = 1008


class RoomFull(Exception):
    """No room for one more connection: the room is full, or there are too many rooms."""


class ConnectionManager:
    """The open WebSockets of each room, and broadcasts to one room."""

    def __init__(
        self,
        max_rooms: int = MAX_ROOMS,
        max_members: int = MAX_MEMBERS,
        send_timeout: float = SEND_TIMEOUT_SECONDS,
    ) -> None:
        self.max_rooms = max_rooms
        self.max_members = max_members
        self.send_timeout = send_timeout
        self.rooms: dict[str, set[WebSocket]] = {}

    def members(self, room: str) -> int:
        """How many connections the room has (0 for a room nobody is in)."""
        return len(self.rooms.get(room, ()))

    def has_space(self, room: str) -> bool:
        """Whether one more connection fits in the room (a new room: whether one more fits)."""
        if room in self.rooms:
            return len(self.rooms[room]) < self.max_members
        return len(self.rooms) < self.max_rooms

    def connect(self, room: str, websocket: WebSocket) -> None:
        """Add an accepted WebSocket to the room; RoomFull when there is no space."""
        if not self.has_space(room):
            raise RoomFull(room)
        self.rooms.setdefault(room, set()).add(websocket)

    def disconnect(self, room: str, websocket: WebSocket) -> None:
        """Remove the WebSocket from the room, and the room once empty; nothing if already gone."""
        members = self.rooms.get(room)
        if members is None:
            return
        members.discard(websocket)
        if not members:
            del self.rooms[room]

    async def broadcast(self, room: str, message: dict[str, Any]) -> None:
        """Send to every member of the room at once; drop and close those that fail or lag."""
        members = list(self.rooms.get(room, ()))
        sent = await asyncio.gather(
            *(send_with_timeout(ws, message, self.send_timeout) for ws in members)
        )
        for websocket, ok in zip(members, sent, strict=True):
            if not ok:
                self.disconnect(room, websocket)
                # Tell it why, if it still listens; never wait long for a client that lags.
                with contextlib.suppress(Exception):
                    await asyncio.wait_for(
                        websocket.close(TOO_SLOW, "Too slow: messages were not read in time"),
                        self.send_timeout,
                    )


async def send_with_timeout(websocket: WebSocket, message: dict[str, Any], timeout: float) -> bool:
    """Send `message` as JSON; True when it went, False when it failed or took over `timeout` s."""
    try:
        await asyncio.wait_for(websocket.send_json(message), timeout)
    except Exception:  # a timeout, a closed socket, a reset connection: this client is gone
        return False
    return True


# The one manager of this process: the chat route and the tests share it.
manager = ConnectionManager()
