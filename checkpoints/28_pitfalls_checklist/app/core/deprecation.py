"""Deprecation headers on every answer of an old API version: a pure ASGI middleware.

Every answer under the deprecated prefix (/api/v1) says three things, whoever made it (a
route, a 404 of the router, a 401 of a dependency, a 422 of validation, a 413 of the body
limit):

- Deprecation: @<unix seconds> (RFC 9745): since when the version is deprecated. The date
  may be in the future: a client learns it before it happens;
- Sunset: <HTTP-date> (RFC 8594): when it stops answering, as "Fri, 01 Jan 2027 00:00:00 GMT";
- Link: </api/v2/...>; rel="successor-version": the same path in the version that replaces it.

Pure ASGI, as app/core/security_headers.py: it changes the `http.response.start` message as
it passes, so the headers are on every answer, not only on those of a route that returned.
"""

from datetime import datetime
from email.utils import format_datetime
from urllib.parse import quote

from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send


class DeprecationMiddleware:
    """Marks every answer under `prefix` as deprecated, with its sunset and its successor."""

    def __init__(
        self,
        app: ASGIApp,
        prefix: str,
        successor: str,
        deprecated_at: datetime,
        sunset: datetime,
    ) -> None:
        self.app = app
        self.prefix = prefix
        self.successor = successor
        # Computed once: the same three values for every answer of the process.
        self.deprecation = f"@{int(deprecated_at.timestamp())}"
        self.sunset = format_datetime(sunset, usegmt=True)

    def deprecated(self, path: str) -> bool:
        # "/api/v1" and "/api/v1/...", not "/api/v10" nor "/api/v1beta".
        return path == self.prefix or path.startswith(self.prefix + "/")

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not self.deprecated(scope["path"]):
            await self.app(scope, receive, send)
            return
        # The rest of the path, percent-encoded: a header holds ASCII, and a "<" or ">"
        # of the path would end the link's brackets.
        rest = quote(scope["path"][len(self.prefix) :], safe="/")
        link = f'<{self.successor}{rest}>; rel="successor-version"'

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                headers["Deprecation"] = self.deprecation
                headers["Sunset"] = self.sunset
                headers.append("Link", link)
            await send(message)

        await self.app(scope, receive, send_with_headers)
