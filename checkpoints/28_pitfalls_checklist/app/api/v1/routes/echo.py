"""Echo: what the request's headers said, as FastAPI reads them."""

from typing import Annotated

from fastapi import APIRouter, Header, Response

router = APIRouter(prefix="/echo", tags=["echo"])


@router.get("/headers")
async def echo_headers(
    user_agent: Annotated[str, Header()],
    response: Response,
    x_trace_id: Annotated[str | None, Header()] = None,
) -> dict[str, str | None]:
    """User-Agent (required) and X-Trace-Id; the trace id also goes back as a header."""
    if x_trace_id is not None:
        response.headers["X-Trace-Id"] = x_trace_id
    return {"user_agent": user_agent, "trace_id": x_trace_id}
