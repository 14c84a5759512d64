"""The shapes of user data at the edge of the app, one model per role.

UserBase holds what every shape shares; UserCreate is what signing up sends,
the only shape with a password, and no role (chapter 17: an admin gives roles); UserUpdate is a PATCH, every field optional;
UserOut is what the API answers, never with the password. Every string a client
sends is a NoNulStr (app/schemas/text.py), which PostgreSQL can store.
"""

from enum import StrEnum
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, EmailStr, Field, HttpUrl, field_validator
from pydantic.json_schema import SkipJsonSchema

from app.schemas.text import NoNulStr

# bcrypt, which hashes the passwords from chapter 16 on, refuses more than 72 bytes.
PASSWORD_MAX_BYTES = 72

Name = Annotated[NoNulStr, Field(min_length=2, max_length=50)]
# 254: the longest address SMTP carries (RFC 5321). email-validator refuses longer ones
# already; max_length says so in the docs, where a client reads the bounds (chapter 28).
Email = Annotated[EmailStr, Field(max_length=254)]

USER_EXAMPLE: dict[str, Any] = {
    "id": 1,
    "name": "Alice",
    "email": "alice@example.com",
    "is_active": True,
    "role": "admin",
    "profile": {"bio": "Backend engineer", "website": "https://example.com/"},
}


class Role(StrEnum):
    user = "user"
    admin = "admin"


class Profile(BaseModel):
    """What users may tell about themselves; nested inside the user shapes."""

    bio: NoNulStr | None = Field(default=None, max_length=500)
    website: HttpUrl | None = None


class UserBase(BaseModel):
    """What every shape of a user shares: PUT replaces exactly these."""

    name: Name
    email: Email


class UserCreate(UserBase):
    """Signing up: the only shape that carries a password, and only into the app."""

    # repr=False: printing or logging the model never shows the password.
    # max_length puts a bound in the schema; it counts characters, and bcrypt counts bytes:
    # 72 characters may be 288 bytes, so the validator below has the last word.
    password: NoNulStr = Field(
        min_length=8,
        max_length=PASSWORD_MAX_BYTES,
        repr=False,
        description="8 characters or more, at most 72 bytes in UTF-8 (an é takes 2, most emoji 4)",
    )
    # No role field: a "role" in the body is ignored (Pydantic's extra="ignore", the default),
    # and every new user is a "user". Roles are given by an admin (PATCH /admin/users/{id}/role).
    profile: Profile | None = None

    @field_validator("password")
    @classmethod
    def password_fits_bcrypt(cls, password: str) -> str:
        """Refuse what bcrypt would refuse, now, with a 422 naming the field."""
        if len(password.encode()) > PASSWORD_MAX_BYTES:
            raise ValueError(f"must be at most {PASSWORD_MAX_BYTES} bytes in UTF-8")
        return password


class UserUpdate(BaseModel):
    """PATCH: only the fields the client sends change."""

    # SkipJsonSchema[None]: None is the default of a field left out, but the schema
    # offers a string only, as not_null below allows: the docs and the app agree.
    name: Name | SkipJsonSchema[None] = None
    email: Email | SkipJsonSchema[None] = None
    profile: Profile | None = None

    # Validators do not run on defaults: this refuses only an explicit null.
    @field_validator("name", "email")
    @classmethod
    def not_null(cls, value: str | None) -> str:
        if value is None:
            raise ValueError("may be left out, but not set to null")
        return value


class RoleChange(BaseModel):
    """PATCH /admin/users/{id}/role: the one shape that carries a role into the app."""

    role: Role


class UserOut(UserBase):
    """What the API answers about a user: everything but the password."""

    model_config = ConfigDict(from_attributes=True, json_schema_extra={"examples": [USER_EXAMPLE]})

    id: int
    is_active: bool = True
    role: Role
    profile: Profile | None = None


class UserSearchResults(BaseModel):
    """GET /users/search: the query as understood, and the users it found."""

    q: str
    tags: list[str]
    results: list[UserOut]
