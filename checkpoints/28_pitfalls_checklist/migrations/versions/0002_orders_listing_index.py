"""Orders: one index for the listing, (user_id, id), instead of the index on user_id alone.

Revision ID: 0002
Revises: 0001

GET /orders asks `WHERE user_id = :me ORDER BY id LIMIT :size OFFSET :skip`
(app/repositories/orders.py). On user_id alone the database finds the user's orders, then
sorts them all to cut one page; on (user_id, id) it reads them in the index, already in
order, and stops after the page. The old index goes: the new one's first column serves
every query it served. The model says the same (app/models/order.py).
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Batch mode, as env.py renders: on SQLite the table is altered by copy when an
    # operation needs it; an index needs no copy, and PostgreSQL alters in place.
    with op.batch_alter_table("orders") as batch:
        batch.create_index("ix_orders_user_id_id", ["user_id", "id"])
        batch.drop_index("ix_orders_user_id")


def downgrade() -> None:
    # Exactly what upgrade undid, in the reverse order: the old index back, the new one out.
    with op.batch_alter_table("orders") as batch:
        batch.create_index("ix_orders_user_id", ["user_id"])
        batch.drop_index("ix_orders_user_id_id")
