"""User: one row of the users table. What the API shows of a user is UserOut (app/schemas)."""

from typing import Any

from sqlalchemy import JSON, String
from sqlalchemy.orm import Mapped, mapped_column, validates

from app.db.base import Base


class User(Base):
    __tablename__ = "users"
    # SQLite reuses the highest id once its row is deleted, unless the table says
    # AUTOINCREMENT: a deleted user's id is never given again (as in chapter 05).
    __table_args__ = {"sqlite_autoincrement": True}

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(50))
    email: Mapped[str] = mapped_column(String(320), unique=True, index=True)
    # A bcrypt hash since chapter 16 ("$2b$12$...", 60 characters), never the password:
    # the column keeps its name, so chapter 15's databases need no new column
    # (app/db/migrate.py hashes the plain passwords they hold).
    password: Mapped[str] = mapped_column(String(256))
    role: Mapped[str] = mapped_column(String(20), default="user")
    is_active: Mapped[bool] = mapped_column(default=True)
    profile: Mapped[dict[str, Any] | None] = mapped_column(JSON)

    @validates("email")
    def lower_case_email(self, key: str, email: str) -> str:
        """Store emails lower-cased, so the unique index treats ALICE@ and alice@ as one."""
        return email.lower()
