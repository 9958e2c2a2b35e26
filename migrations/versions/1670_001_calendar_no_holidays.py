"""calendar years: a year confirmed explicitly as having no public holidays

The calendar's tables are now read by the phone line too (hotline/workdays).

Revision ID: 1670_001
Revises: 1660_001
Create Date: 2026-12-03 16:00:00

"""

import sqlalchemy as sa
from alembic import op

revision = "1670_001"
down_revision = "1660_001"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("calendar_years") as batch_op:
        batch_op.add_column(sa.Column("no_holidays", sa.Boolean(), server_default=sa.false(), nullable=False))


def downgrade():
    with op.batch_alter_table("calendar_years") as batch_op:
        batch_op.drop_column("no_holidays")
