"""File uploads, read in chunks: hashed and counted, refused when too big or of a wrong type.

Nothing is stored: each file is answered with its name, type, size and SHA-256.
"""

import hashlib
from collections.abc import Callable, Coroutine
from typing import Annotated, Any

from fastapi import APIRouter, File, Request, Response, UploadFile, status
from fastapi.routing import APIRoute

from app.core.config import settings
from app.core.errors import PayloadTooLargeError, UnsupportedMediaTypeError, error_responses
from app.schemas.file import FileInfo

CHUNK_SIZE = 64 * 1024
# Room for what multipart adds around the files: boundaries and part headers.
FORM_OVERHEAD = 16 * 1024


def over_limit(what: str) -> PayloadTooLargeError:
    return PayloadTooLargeError(
        f"{what} is over the limit of {settings.MAX_UPLOAD_BYTES} bytes per request"
    )


class UploadLimitRoute(APIRoute):
    """Refuse a body whose declared Content-Length is over the limit, before reading it.

    FastAPI parses the whole form (Starlette spools each file, to disk beyond 1 MiB)
    before the route function or any dependency runs, so the check must come first.
    """

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        parse_and_run = super().get_route_handler()

        async def check_length_first(request: Request) -> Response:
            declared = request.headers.get("content-length", "")
            if declared.isdigit() and int(declared) > settings.MAX_UPLOAD_BYTES + FORM_OVERHEAD:
                raise over_limit(f"A declared body of {declared} bytes")
            return await parse_and_run(request)

        return check_length_first


router = APIRouter(prefix="/files", tags=["files"], route_class=UploadLimitRoute)

UPLOAD_ERRORS = error_responses(PayloadTooLargeError, UnsupportedMediaTypeError)


def allowed_type(upload: UploadFile) -> str:
    """The declared type without parameters ("text/plain; charset=utf-8" is "text/plain")."""
    content_type = (upload.content_type or "").split(";")[0].strip().lower()
    if content_type not in settings.ALLOWED_UPLOAD_TYPES:
        raise UnsupportedMediaTypeError(
            f"File type {content_type or '(none)'} is not allowed; "
            f"allowed: {', '.join(settings.ALLOWED_UPLOAD_TYPES)}"
        )
    return content_type


async def receive_upload(upload: UploadFile, limit: int) -> FileInfo:
    """Hash and count an upload chunk by chunk; PayloadTooLargeError past `limit` bytes."""
    content_type = allowed_type(upload)
    digest = hashlib.sha256()
    size = 0
    while chunk := await upload.read(CHUNK_SIZE):
        size += len(chunk)
        if size > limit:
            raise over_limit("The upload")
        digest.update(chunk)
    return FileInfo(
        filename=upload.filename,
        content_type=content_type,
        size=size,
        sha256=digest.hexdigest(),
    )


@router.post("", status_code=status.HTTP_201_CREATED, responses=UPLOAD_ERRORS)
async def upload_file(file: Annotated[UploadFile, File(description="One file")]) -> FileInfo:
    """Receive one file: its name, type, size and SHA-256."""
    return await receive_upload(file, settings.MAX_UPLOAD_BYTES)


@router.post("/batch", status_code=status.HTTP_201_CREATED, responses=UPLOAD_ERRORS)
async def upload_files(
    files: Annotated[list[UploadFile], File(description="Several files")],
) -> list[FileInfo]:
    """Receive several files, which share the limit of one upload."""
    for upload in files:  # every type first: refuse before reading anything
        allowed_type(upload)
    received: list[FileInfo] = []
    left = settings.MAX_UPLOAD_BYTES
    for upload in files:
        info = await receive_upload(upload, left)
        left -= info.size
        received.append(info)
    return received
