"""work_orders.merged_into_id: a duplicate report merged into the open order of the same matter

Revision ID: 1800_002
Revises: 1800_001
Create Date: 2026-12-04 19:20:00

"""

import sqlalchemy as sa
from alembic import op

revision = "1800_002"
down_revision = "1800_001"
branch_labels = None
depends_on = None


def upgrade():
    if op.get_bind().dialect.name == "sqlite":
        # SQLite adds a column with its reference in one statement (Alembic would ALTER a constraint).
        op.execute("ALTER TABLE work_orders ADD COLUMN merged_into_id INTEGER REFERENCES work_orders (id)")
    else:
        op.add_column("work_orders", sa.Column("merged_into_id", sa.Integer(), nullable=True))
        op.create_foreign_key(
            op.f("fk_work_orders_merged_into_id_work_orders"), "work_orders", "work_orders", ["merged_into_id"], ["id"]
        )
    op.create_index(op.f("ix_work_orders_merged_into_id"), "work_orders", ["merged_into_id"], unique=False)


def downgrade():
    # Not batch mode: SQLite (3.35+) and PostgreSQL both drop a plain column in place.
    op.drop_index(op.f("ix_work_orders_merged_into_id"), table_name="work_orders")
    if op.get_bind().dialect.name != "sqlite":
        op.drop_constraint(op.f("fk_work_orders_merged_into_id_work_orders"), "work_orders", type_="foreignkey")
    op.drop_column("work_orders", "merged_into_id")
