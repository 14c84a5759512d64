"""The Host header checked against TRUSTED_HOSTS: a wrong one answers 400, in the envelope.

A request names the site it wants in its Host header, and the client chooses it. An app
that builds links from it (a password-reset mail, a redirect, the server URL of
/openapi.json) would send a victim to the attacker's name; a cache keyed on it would
store a poisoned answer. TrustedHostMiddleware, Starlette's, refuses every Host not
listed; this subclass keeps its patterns and its checks of them ("api.example.com",
"*.example.com", or "*" for any) and answers a refusal as every other error of the app.
"""

from collections.abc import Sequence
from urllib.parse import urlsplit

from starlette.datastructures import Headers
from starlette.middleware.trustedhost import TrustedHostMiddleware
from starlette.types import ASGIApp, Receive, Scope, Send

from app.core.errors import error_response


def host_name(header: str | None) -> str | None:
    """The name of a Host header without its port ("[::1]:8000" is "::1"); None if unreadable."""
    if not header:
        return None
    try:
        return urlsplit(f"//{header}").hostname
    except ValueError:  # "[bad", a port that is no number
        return None


class TrustedHostsMiddleware(TrustedHostMiddleware):
    """TrustedHostMiddleware with no www-redirect, answering 400 in the app's envelope."""

    def __init__(self, app: ASGIApp, allowed_hosts: Sequence[str]) -> None:
        super().__init__(app, allowed_hosts=list(allowed_hosts), www_redirect=False)

    def allows(self, header: str | None) -> bool:
        if self.allow_any:
            return True
        host = host_name(header)
        return host is not None and any(
            host == pattern or (pattern.startswith("*.") and host.endswith(pattern[1:]))
            for pattern in self.allowed_hosts
        )

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in ("http", "websocket") or self.allows(
            Headers(scope=scope).get("host")
        ):
            await self.app(scope, receive, send)
            return
        if scope["type"] == "websocket":  # closed before it is accepted: the server answers 403
            await send({"type": "websocket.close", "code": 1008})
            return
        response = error_response(400, "invalid_host", "The Host header names no host of this app")
        await response(scope, receive, send)
