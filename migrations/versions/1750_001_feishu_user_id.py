"""users.feishu_user_id: whom a Feishu bot's post @-mentions (Feishu mentions by user id, not by mobile)

Revision ID: 1750_001
Revises: 1720_001
Create Date: 2026-12-04 02:45:00

"""

import sqlalchemy as sa
from alembic import op

revision = "1750_001"
down_revision = "1720_001"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("users") as batch:
        batch.add_column(sa.Column("feishu_user_id", sa.String(length=64), nullable=True))


def downgrade():
    # Not batch mode: on SQLite that rebuilds `users`, and dropping the old table fails
    # the foreign keys of every table that points at it. SQLite (3.35+) and PostgreSQL
    # both drop a plain column in place.
    op.drop_column("users", "feishu_user_id")
