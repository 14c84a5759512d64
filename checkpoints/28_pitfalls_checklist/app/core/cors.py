"""CORS: the pages of other sites that a browser lets call the API, from CORS_ORIGINS.

A browser sends the page's origin (`Origin: https://app.example.com`) and, before a
request with JSON or an Authorization header, asks first (a preflight, OPTIONS).
Starlette's CORSMiddleware answers both: with Access-Control-Allow-Origin for an origin
it was given, with none for any other. Its refused preflight is a plain-text 400
("Disallowed CORS origin"); this subclass answers it in the app's envelope, headers kept.
"""

from starlette.datastructures import Headers
from starlette.middleware.cors import CORSMiddleware
from starlette.responses import Response

from app.core.errors import error_response


class EnvelopeCORSMiddleware(CORSMiddleware):
    """CORSMiddleware whose refused preflights answer the error envelope."""

    def preflight_response(self, request_headers: Headers) -> Response:
        response = super().preflight_response(request_headers)
        if response.status_code < 400:
            return response
        reason = bytes(response.body).decode()  # "Disallowed CORS origin, method"
        headers = {
            name: value
            for name, value in response.headers.items()
            if name not in ("content-length", "content-type")
        }
        return error_response(
            response.status_code, "cors_refused", f"{reason}: not allowed here", headers=headers
        )
