"""patent families, preference flags on pairs, patent-level and stale rejection reasons

Revision ID: e1f9a7c3b5d2
Revises: d4e5f6a7b8c9
Create Date: 2026-11-29 16:50:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'e1f9a7c3b5d2'
down_revision = 'd4e5f6a7b8c9'
branch_labels = None
depends_on = None

OLD_REASONS = ('not_relevant', 'too_early', 'benefit_unclear', 'price_terms', 'already_solved',
               'other')
NEW_REASONS = OLD_REASONS + ('owner_refuses', 'transferred', 'licensed_exclusive',
                             'patent_not_in_force', 'need_closed', 'need_matched')


def _reason(values):
    return sa.Enum(*values, name='rejection_reason', native_enum=False, create_constraint=True,
                   length=24)


def upgrade():
    with op.batch_alter_table('patents', schema=None) as batch_op:
        batch_op.add_column(sa.Column('family_id', sa.String(length=40), nullable=True))
        batch_op.create_index(batch_op.f('ix_patents_family_id'), ['family_id'], unique=False)
    with op.batch_alter_table('matches', schema=None) as batch_op:
        for name in ('flag_region', 'flag_open_licence', 'flag_budget', 'flag_mode'):
            batch_op.add_column(sa.Column(name, sa.Boolean(), nullable=True))
        batch_op.alter_column('rejection_reason', existing_type=_reason(OLD_REASONS),
                              type_=_reason(NEW_REASONS), existing_nullable=True)


def downgrade():
    with op.batch_alter_table('matches', schema=None) as batch_op:
        batch_op.alter_column('rejection_reason', existing_type=_reason(NEW_REASONS),
                              type_=_reason(OLD_REASONS), existing_nullable=True)
        for name in ('flag_mode', 'flag_budget', 'flag_open_licence', 'flag_region'):
            batch_op.drop_column(name)
    with op.batch_alter_table('patents', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_patents_family_id'))
        batch_op.drop_column('family_id')
