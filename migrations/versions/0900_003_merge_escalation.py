"""merge escalation

Revision ID: 0900_003
Revises: 0300_001, 0900_002
Create Date: 2026-11-22 08:53:07.198200

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0900_003'
down_revision = ('0300_001', '0900_002')
branch_labels = None
depends_on = None


def upgrade():
    pass


def downgrade():
    pass
