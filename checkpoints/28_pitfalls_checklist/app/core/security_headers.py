"""Security headers on every answer: a pure ASGI middleware around the whole app.

What each header tells the browser:

- X-Content-Type-Options: nosniff: trust Content-Type, never guess (a JSON answer or an
  upload is never run as a script or a page);
- X-Frame-Options: DENY and Content-Security-Policy: frame-ancestors 'none': no page may
  show this app in a frame (clickjacking); the first for old browsers, the second for all;
- Referrer-Policy: no-referrer: a link followed from /docs sends no Referer, so no URL of
  the API (which may carry ids or search terms) leaks to another site;
- Strict-Transport-Security (production only): this host is HTTPS-only for two years; on
  http://127.0.0.1 it would mean nothing, and a browser that took it for "localhost" would
  refuse plain HTTP to every local app afterwards.

Pure ASGI, not BaseHTTPMiddleware: it changes the `http.response.start` message as it
passes, so every answer gets the headers whoever made it (a route, a 404 of the router,
a 413 of app/core/limits.py, a 500), streamed ones too, and the body is never held.
"""

from fastapi import FastAPI
from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

SECURITY_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Content-Security-Policy": "frame-ancestors 'none'",
    "Referrer-Policy": "no-referrer",
}
# Two years, subdomains too: what hstspreload.org asks for. Sent in production only.
HSTS = "max-age=63072000; includeSubDomains"


class SecurityHeadersMiddleware:
    """Adds SECURITY_HEADERS (and HSTS when asked) to every HTTP answer."""

    def __init__(self, app: ASGIApp, hsts: bool = False) -> None:
        self.app = app
        self.headers = {**SECURITY_HEADERS, **({"Strict-Transport-Security": HSTS} if hsts else {})}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":  # the lifespan, a WebSocket: no HTTP answer to mark
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                for name, value in self.headers.items():
                    headers[name] = value
            await send(message)

        await self.app(scope, receive, send_with_headers)


def add_security_headers(app: FastAPI, hsts: bool = False) -> None:
    """Wrap the whole middleware stack of `app` in SecurityHeadersMiddleware.

    Not app.add_middleware: Starlette puts every added middleware inside its
    ServerErrorMiddleware, which always comes first and sends the 500 of an unexpected
    error itself, so that 500 would go out without the headers. Starlette builds the
    stack once, at the first request, with build_middleware_stack: this wraps what it
    builds. (FastAPIOffline is a function that returns a FastAPI, not a class, so there
    is no subclass to override it in.)
    """
    build = app.build_middleware_stack

    def build_with_headers() -> ASGIApp:
        return SecurityHeadersMiddleware(build(), hsts=hsts)

    app.build_middleware_stack = build_with_headers  # type: ignore[method-assign]
