"""File uploads, read in chunks: hashed and counted, refused when too big or of a wrong type.

Nothing is stored: each file is answered with its name, type, size and SHA-256.
"""

import hashlib
from typing import Annotated, Any

from fastapi import APIRouter, File, UploadFile, status

from app.core.config import settings
from app.core.errors import PayloadTooLargeError, UnsupportedMediaTypeError, error_responses
from app.schemas.file import FileInfo

CHUNK_SIZE = 64 * 1024


def over_limit(what: str) -> PayloadTooLargeError:
    return PayloadTooLargeError(
        f"{what} is over the limit of {settings.MAX_UPLOAD_BYTES} bytes per request"
    )


# form_limits: how many files and other fields one form may have, and how long a field
# may be; Starlette refuses more with a 400 while it parses. The size of the whole body
# is counted while it arrives, by BodyLimitMiddleware (app/core/limits.py).
router = APIRouter(
    prefix="/files",
    tags=["files"],
    form_limits={"max_files": settings.MAX_UPLOAD_FILES, "max_fields": 10, "max_part_size": 1024},
)

UPLOAD_ERRORS = error_responses(PayloadTooLargeError, UnsupportedMediaTypeError)


def allowed_types_documented(field: str) -> dict[str, Any]:
    """`openapi_extra=` of an upload route: the types each part of `field` may declare.

    A file's schema says only "binary"; OpenAPI's `encoding` says which Content-Types
    its parts may have, so a client that reads the document sends one we accept.
    """
    content_types = ", ".join(settings.ALLOWED_UPLOAD_TYPES)
    encoding = {field: {"contentType": content_types}}
    return {"requestBody": {"content": {"multipart/form-data": {"encoding": encoding}}}}


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


@router.post(
    "",
    status_code=status.HTTP_201_CREATED,
    responses=UPLOAD_ERRORS,
    openapi_extra=allowed_types_documented("file"),
)
async def upload_file(file: Annotated[UploadFile, File(description="One file")]) -> FileInfo:
    """Receive one file: its name, type, size and SHA-256."""
    return await receive_upload(file, settings.MAX_UPLOAD_BYTES)


@router.post(
    "/batch",
    status_code=status.HTTP_201_CREATED,
    responses=UPLOAD_ERRORS,
    openapi_extra=allowed_types_documented("files"),
)
async def upload_files(
    # min_length=1: the schema says minItems 1, as the app answers an empty batch (422).
    files: Annotated[
        list[UploadFile],
        # max_length: the form's own limit (form_limits above), said in the docs too.
        File(min_length=1, max_length=settings.MAX_UPLOAD_FILES, description="Several files"),
    ],
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
