"""directory_test_calls: a manager's test call to a directory entry's number and its outcome

Revision ID: 1810_001
Revises: 1750_001
Create Date: 2026-12-04 19:00:00

"""

import sqlalchemy as sa
from alembic import op

revision = "1810_001"
down_revision = "1750_001"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "directory_test_calls",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("target", sa.String(length=60), nullable=False),
        sa.Column("to", sa.Text(), nullable=False),
        sa.Column("status", sa.String(length=40), nullable=False),
        sa.Column("call_sid", sa.String(length=64), nullable=True),
        sa.Column("error", sa.String(length=300), nullable=True),
        sa.Column("requested_by_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["requested_by_id"], ["users.id"], name=op.f("fk_directory_test_calls_requested_by_id_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_directory_test_calls")),
    )
    with op.batch_alter_table("directory_test_calls") as batch:
        batch.create_index(batch.f("ix_directory_test_calls_target"), ["target"], unique=False)
        batch.create_index(batch.f("ix_directory_test_calls_call_sid"), ["call_sid"], unique=False)


def downgrade():
    op.drop_table("directory_test_calls")
