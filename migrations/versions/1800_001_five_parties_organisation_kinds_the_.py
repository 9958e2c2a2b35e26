"""five parties: organisation kinds, the volunteer register

Revision ID: 1800_001
Revises: 1810_001
Create Date: 2026-12-04 18:46:13

"""
from alembic import op
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

# revision identifiers, used by Alembic.
revision = '1800_001'
down_revision = "1810_001"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('volunteers',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('phone', sa.Text(), nullable=True),
    sa.Column('skills', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.Column('available_weekdays', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.Column('available_from', sa.Time(), nullable=True),
    sa.Column('available_until', sa.Time(), nullable=True),
    sa.Column('notes', sa.Text(), nullable=True),
    sa.Column('notify_channels', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.Column('webhook_url', sa.Text(), nullable=True),
    sa.Column('robot_kind', sa.String(length=20), nullable=True),
    sa.Column('robot_secret', sa.Text(), nullable=True),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_volunteers'))
    )
    op.create_table('volunteer_areas',
    sa.Column('volunteer_id', sa.Integer(), nullable=False),
    sa.Column('area_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['area_id'], ['areas.id'], name=op.f('fk_volunteer_areas_area_id_areas'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['volunteer_id'], ['volunteers.id'], name=op.f('fk_volunteer_areas_volunteer_id_volunteers'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('volunteer_id', 'area_id', name=op.f('pk_volunteer_areas'))
    )
    with op.batch_alter_table('volunteer_areas', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_volunteer_areas_area_id'), ['area_id'], unique=False)

    # Plain ALTER TABLE ADD COLUMN (no batch rebuild): other tables point at both.
    op.add_column(
        "organisations", sa.Column("kind", sa.String(length=40), server_default="social_organisation", nullable=False)
    )
    op.create_index(op.f("ix_organisations_kind"), "organisations", ["kind"], unique=False)
    if op.get_bind().dialect.name == "sqlite":
        # SQLite adds a column with its reference in one statement (Alembic would ALTER a constraint).
        op.execute("ALTER TABLE referrals ADD COLUMN volunteer_id INTEGER REFERENCES volunteers (id)")
    else:
        op.add_column("referrals", sa.Column("volunteer_id", sa.Integer(), nullable=True))
        op.create_foreign_key(
            op.f("fk_referrals_volunteer_id_volunteers"), "referrals", "volunteers", ["volunteer_id"], ["id"]
        )
    op.create_index(op.f("ix_referrals_volunteer_id"), "referrals", ["volunteer_id"], unique=False)



def downgrade():
    # Not batch mode: SQLite (3.35+) and PostgreSQL both drop a plain column in place.
    op.drop_index(op.f("ix_referrals_volunteer_id"), table_name="referrals")
    if op.get_bind().dialect.name != "sqlite":
        op.drop_constraint(op.f("fk_referrals_volunteer_id_volunteers"), "referrals", type_="foreignkey")
    op.drop_column("referrals", "volunteer_id")
    op.drop_index(op.f("ix_organisations_kind"), table_name="organisations")
    op.drop_column("organisations", "kind")
    op.drop_index(op.f("ix_volunteer_areas_area_id"), table_name="volunteer_areas")
    op.drop_table("volunteer_areas")
    op.drop_table("volunteers")
