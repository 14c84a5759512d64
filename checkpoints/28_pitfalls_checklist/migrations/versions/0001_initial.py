"""The schema of chapter 24: users, items, orders and their lines, the outbox, the events.

Revision ID: 0001
Revises: (none: the first)

Written from `alembic revision --autogenerate` on an empty database, then edited: the
column types are SQLAlchemy's own (a migration never imports the app's code, which will
change; app.db.base.UTCDateTime is stored as DateTime(timezone=True)), and every CREATE says
IF NOT EXISTS. That is how a database made by create_all in chapters 11 to 26 (the tables,
no alembic_version) comes under Alembic: this revision creates what it lacks and leaves what
it has, then records 0001. The one difference those databases can have is the items table
of chapters 12 to 15, without owner_id: added here, with its foreign key and index (what
app/db/migrate.py's add_owner_column did at every start, without them).
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

UTC_DATETIME = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "users",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=50), nullable=False),
        sa.Column("email", sa.String(length=320), nullable=False),
        sa.Column("password", sa.String(length=256), nullable=False),
        sa.Column("role", sa.String(length=20), nullable=False),
        sa.Column("is_active", sa.Boolean(), nullable=False),
        sa.Column("profile", sa.JSON(), nullable=True),
        sa.PrimaryKeyConstraint("id"),
        sqlite_autoincrement=True,
        if_not_exists=True,
    )
    op.create_index("ix_users_email", "users", ["email"], unique=True, if_not_exists=True)

    op.create_table(
        "items",
        sa.Column("name", sa.String(), nullable=False),
        sa.Column("price", sa.Float(), nullable=False),
        sa.Column("tags", sa.JSON(), nullable=False),
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("owner_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(["owner_id"], ["users.id"], ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("id"),
        sqlite_autoincrement=True,
        if_not_exists=True,
    )
    columns = {column["name"] for column in sa.inspect(op.get_bind()).get_columns("items")}
    if "owner_id" not in columns:  # an items table of chapters 12 to 15
        # On SQLite batch mode copies the table: AUTOINCREMENT is said again, since SQLite's
        # reflection does not tell it (a deleted item's id is never given again).
        with op.batch_alter_table("items", table_kwargs={"sqlite_autoincrement": True}) as batch:
            batch.add_column(sa.Column("owner_id", sa.Integer(), nullable=True))
            batch.create_foreign_key(
                "fk_items_owner_id_users", "users", ["owner_id"], ["id"], ondelete="SET NULL"
            )
    op.create_index("ix_items_owner_id", "items", ["owner_id"], if_not_exists=True)

    op.create_table(
        "orders",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("created_at", UTC_DATETIME, nullable=False),
        sa.Column("total_cents", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sqlite_autoincrement=True,
        if_not_exists=True,
    )
    op.create_index("ix_orders_user_id", "orders", ["user_id"], if_not_exists=True)

    op.create_table(
        "order_lines",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("order_id", sa.Integer(), nullable=False),
        sa.Column("item_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("unit_price_cents", sa.BigInteger(), nullable=False),
        sa.Column("quantity", sa.Integer(), nullable=False),
        sa.Column("line_total_cents", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(["order_id"], ["orders.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        if_not_exists=True,
    )
    op.create_index("ix_order_lines_item_id", "order_lines", ["item_id"], if_not_exists=True)
    op.create_index("ix_order_lines_order_id", "order_lines", ["order_id"], if_not_exists=True)

    op.create_table(
        "outbox",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=30), nullable=False),
        sa.Column("recipient", sa.String(length=320), nullable=False),
        sa.Column("subject", sa.String(length=200), nullable=False),
        sa.Column("body", sa.String(length=2000), nullable=False),
        sa.Column("created_at", UTC_DATETIME, nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("last_error", sa.String(length=500), nullable=True),
        sa.Column("sent_at", UTC_DATETIME, nullable=True),
        sa.PrimaryKeyConstraint("id"),
        if_not_exists=True,
    )
    op.create_index("ix_outbox_user_id", "outbox", ["user_id"], if_not_exists=True)

    op.create_table(
        "service_events",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("at", UTC_DATETIME, nullable=False),
        sa.PrimaryKeyConstraint("id"),
        if_not_exists=True,
    )


def downgrade() -> None:
    # The reverse order: a table goes after the tables whose foreign keys point at it.
    op.drop_table("service_events")
    op.drop_table("outbox")
    op.drop_table("order_lines")
    op.drop_table("orders")
    op.drop_table("items")
    op.drop_table("users")
