"""Who is on the other end of a WebSocket: the app's JWT, checked at the handshake.

A browser cannot set an Authorization header on a WebSocket (`new WebSocket(url,
protocols)` takes no headers), so the token travels in the one header it can set:
Sec-WebSocket-Protocol. The page asks for two "subprotocols", `bearer` and the
token; the server accepts `bearer`, and the token never appears in a URL, so never
in an access log. The checks are get_current_user's (app/api/deps.py): a valid
signature, not expired, and a user who still exists and is active.
"""

from fastapi import WebSocket

from app.core.jwt_tokens import read_access_token
from app.db.session import SessionLocal
from app.models import User
from app.repositories.users import UserRepository

# The subprotocol the server answers with; the token is the one after it.
BEARER_PROTOCOL = "bearer"


def token_from(websocket: WebSocket) -> str | None:
    """The token offered as `Sec-WebSocket-Protocol: bearer, <token>`; None without one."""
    offered = websocket.scope.get("subprotocols", [])
    if len(offered) == 2 and offered[0] == BEARER_PROTOCOL:
        return str(offered[1])
    return None


async def websocket_user(websocket: WebSocket) -> User | None:
    """The active user whose token the handshake carries; None for any other handshake."""
    token = token_from(websocket)
    data = read_access_token(token) if token else None
    if data is None:
        return None
    # A session of its own, closed at once: a session from Depends(get_db) would live
    # (and hold a pooled connection) as long as the WebSocket, minutes or hours.
    async with SessionLocal() as db:
        user = await UserRepository(db).get(data.user_id)
    return user if user is not None and user.is_active else None
