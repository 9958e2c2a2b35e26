"""user sessions: a server-side record per log-in, checked on every request

Revision ID: 1100_001
Revises: 1500_001
Create Date: 2026-12-02 13:00:00

Replaces users.session_version: a session now ends when its record does.
"""

import sqlalchemy as sa
from alembic import op

revision = "1100_001"
down_revision = "1500_001"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "user_sessions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("key_hash", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_seen_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("ended_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("end_reason", sa.String(length=40), nullable=True),
        sa.Column("address", sa.String(length=64), nullable=True),
        sa.Column("user_agent", sa.String(length=200), nullable=True),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name="fk_user_sessions_user_id_users", ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name="pk_user_sessions"),
        sa.UniqueConstraint("key_hash", name="uq_user_sessions_key_hash"),
    )
    with op.batch_alter_table("user_sessions") as batch_op:
        batch_op.create_index("ix_user_sessions_user_id", ["user_id"], unique=False)
    with op.batch_alter_table("users") as batch_op:
        batch_op.drop_column("session_version")


def downgrade():
    with op.batch_alter_table("users") as batch_op:
        batch_op.add_column(sa.Column("session_version", sa.Integer(), nullable=False, server_default="1"))
    with op.batch_alter_table("user_sessions") as batch_op:
        batch_op.drop_index("ix_user_sessions_user_id")
    op.drop_table("user_sessions")
