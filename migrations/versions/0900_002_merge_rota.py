"""merge rota

Revision ID: 0900_002
Revises: 0100_001, 0900_001
Create Date: 2026-11-22 08:44:57.611492

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0900_002'
down_revision = ('0100_001', '0900_001')
branch_labels = None
depends_on = None


def upgrade():
    pass


def downgrade():
    pass
