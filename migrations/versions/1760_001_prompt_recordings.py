"""prompt recordings: the station's recorded prompts of the line, as 8 kHz mono WAV

Revision ID: 1760_001
Revises: 1640_002
Create Date: 2026-12-04 02:10:00

"""

import sqlalchemy as sa
from alembic import op

revision = "1760_001"
down_revision = "1640_002"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "prompt_recordings",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=40), nullable=False),
        sa.Column("version", sa.String(length=32), nullable=False),
        sa.Column("content", sa.LargeBinary(), nullable=False),
        sa.Column("seconds", sa.Float(), nullable=False),
        sa.Column("source_type", sa.String(length=40), nullable=False),
        sa.Column("source_name", sa.String(length=200), nullable=False),
        sa.Column("uploaded_by_id", sa.Integer(), nullable=True),
        sa.Column("uploaded_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["uploaded_by_id"], ["users.id"], name=op.f("fk_prompt_recordings_uploaded_by_id_users")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_prompt_recordings")),
        sa.UniqueConstraint("name", name=op.f("uq_prompt_recordings_name")),
    )


def downgrade():
    op.drop_table("prompt_recordings")
