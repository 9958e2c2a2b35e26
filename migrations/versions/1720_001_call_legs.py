"""call legs: who is in a call's conference, on hold or muted

Revision ID: 1720_001
Revises: 1760_001
Create Date: 2026-12-04 02:10:00

"""

import sqlalchemy as sa
from alembic import op

revision = "1720_001"
down_revision = "1760_001"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "call_legs",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("call_id", sa.Integer(), nullable=False),
        sa.Column("call_sid", sa.String(length=64), nullable=False),
        sa.Column("role", sa.String(length=40), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=True),
        sa.Column("expert_id", sa.Integer(), nullable=True),
        sa.Column("status", sa.String(length=40), nullable=False),
        sa.Column("muted", sa.Boolean(), nullable=False),
        sa.Column("hold", sa.Boolean(), nullable=False),
        sa.Column("sequence", sa.Integer(), nullable=False),
        sa.Column("joined_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("left_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["call_id"], ["calls.id"], name=op.f("fk_call_legs_call_id_calls"), ondelete="CASCADE"),
        sa.ForeignKeyConstraint(
            ["expert_id"], ["expert_volunteers.id"], name=op.f("fk_call_legs_expert_id_expert_volunteers")
        ),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], name=op.f("fk_call_legs_user_id_users")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_call_legs")),
        sa.UniqueConstraint("call_sid", name=op.f("uq_call_legs_call_sid")),
    )
    with op.batch_alter_table("call_legs") as batch_op:
        batch_op.create_index(batch_op.f("ix_call_legs_call_id"), ["call_id"], unique=False)


def downgrade():
    with op.batch_alter_table("call_legs") as batch_op:
        batch_op.drop_index(batch_op.f("ix_call_legs_call_id"))
    op.drop_table("call_legs")
