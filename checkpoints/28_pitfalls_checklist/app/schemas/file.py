"""What the app answers about a file it received."""

from pydantic import BaseModel


class FileInfo(BaseModel):
    filename: str | None
    content_type: str
    size: int
    sha256: str
