"""merge phone and cases

Revision ID: 0900_001
Revises: 0200_001, 0400_001
Create Date: 2026-11-22 08:39:13.391024

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0900_001'
down_revision = ('0200_001', '0400_001')
branch_labels = None
depends_on = None


def upgrade():
    pass


def downgrade():
    pass
