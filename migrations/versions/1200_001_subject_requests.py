"""subject requests (PIPL): who asked, what, when, by whom served

Revision ID: 1200_001
Revises: 0900_004
Create Date: 2026-12-02 08:00:00

"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "1200_001"
down_revision = "0900_004"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "subject_requests",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=40), nullable=False),
        sa.Column("subject", sa.String(length=20), nullable=False),
        sa.Column("requested_by", sa.Text(), nullable=False),
        sa.Column("requested_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("served_by_id", sa.Integer(), nullable=True),
        sa.Column("served_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column(
            "result", sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"), nullable=False
        ),
        sa.ForeignKeyConstraint(["served_by_id"], ["users.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("subject_requests") as batch_op:
        batch_op.create_index("ix_subject_requests_served_by_id", ["served_by_id"], unique=False)
        batch_op.create_index("ix_subject_requests_served_at", ["served_at"], unique=False)


def downgrade():
    with op.batch_alter_table("subject_requests") as batch_op:
        batch_op.drop_index("ix_subject_requests_served_at")
        batch_op.drop_index("ix_subject_requests_served_by_id")
    op.drop_table("subject_requests")
