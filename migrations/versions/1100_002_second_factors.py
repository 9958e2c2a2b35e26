"""second factors: TOTP secrets (encrypted) and recovery-code hashes

Revision ID: 1100_002
Revises: 1300_001
Create Date: 2026-12-02 14:10:00

"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "1100_002"
down_revision = "1300_001"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "second_factors",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("secret", sa.Text(), nullable=False),
        sa.Column(
            "recovery_hashes",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("last_step", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name="fk_second_factors_user_id_users", ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name="pk_second_factors"),
        sa.UniqueConstraint("user_id", name="uq_second_factors_user_id"),
    )


def downgrade():
    op.drop_table("second_factors")
