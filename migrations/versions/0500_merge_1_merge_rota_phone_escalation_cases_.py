"""merge rota phone escalation cases console

Revision ID: 0500_merge_1
Revises: 0100_001, 0200_001, 0300_001, 0400_001, 0500_001
Create Date: 2026-11-22 08:11:20.291060

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0500_merge_1'
down_revision = ('0100_001', '0200_001', '0300_001', '0400_001', '0500_001')
branch_labels = None
depends_on = None


def upgrade():
    pass


def downgrade():
    pass
