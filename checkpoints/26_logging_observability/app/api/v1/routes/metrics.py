"""GET /metrics: the Prometheus metrics of the app, for the monitoring system, not for users.

Who may read them: the numbers say which routes exist, how busy the service is and how
often it fails, which helps an attacker too. So /metrics is left out of the OpenAPI
schema, and with METRICS_TOKEN set it answers only a request with that bearer token
(what Prometheus sends with `authorization: {credentials: ...}` in its scrape config). In
production it is served only with a token; in development, without one, to anybody.
"""

import secrets
from typing import Annotated

from fastapi import APIRouter, Depends, Response
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from app.core.config import SettingsDep
from app.core.errors import NotFoundError, UnauthorizedError
from app.core.metrics import CONTENT_TYPE, metrics_text

router = APIRouter(tags=["monitoring"])

# The bearer token of the request, read by FastAPI (None without one): the route compares it,
# and never parses the Authorization header itself.
BearerDep = Annotated[HTTPAuthorizationCredentials | None, Depends(HTTPBearer(auto_error=False))]


# A plain def: FastAPI runs it in a thread, so reading the workers' files (several workers)
# never holds up the event loop.
@router.get("/metrics", include_in_schema=False)
def read_metrics(settings: SettingsDep, bearer: BearerDep) -> Response:
    """The counters and histograms of every worker, in Prometheus's text format."""
    token = settings.METRICS_TOKEN.get_secret_value()
    if not token:
        if settings.is_production:  # no token, no metrics: nobody is meant to read them
            raise NotFoundError("Not Found")
    else:
        sent = bearer.credentials if bearer else ""
        # compare_digest: the time taken says nothing of how much of the token was right.
        if not secrets.compare_digest(sent.encode(), token.encode()):
            raise UnauthorizedError(
                "/metrics needs the metrics token: Authorization: Bearer <METRICS_TOKEN>",
                headers={"WWW-Authenticate": "Bearer"},
            )
    return Response(metrics_text(), media_type=CONTENT_TYPE)
