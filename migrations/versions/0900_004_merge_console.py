"""merge console

Revision ID: 0900_004
Revises: 0500_merge_1, 0900_003
Create Date: 2026-11-22 08:59:01.981351

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0900_004'
down_revision = ('0500_merge_1', '0900_003')
branch_labels = None
depends_on = None


def upgrade():
    pass


def downgrade():
    pass
