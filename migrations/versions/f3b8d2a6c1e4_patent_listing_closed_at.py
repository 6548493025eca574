"""patents.listing_closed_at (the owner closed the listing) and its stale reason; the queue's
index on (status, calibrated)

Revision ID: f3b8d2a6c1e4
Revises: e1f9a7c3b5d2
Create Date: 2026-11-29 18:00:00.000000

"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = 'f3b8d2a6c1e4'
down_revision = 'e1f9a7c3b5d2'
branch_labels = None
depends_on = None

OLD_REASONS = ('not_relevant', 'too_early', 'benefit_unclear', 'price_terms', 'already_solved',
               'other', 'owner_refuses', 'transferred', 'licensed_exclusive',
               'patent_not_in_force', 'need_closed', 'need_matched')
NEW_REASONS = OLD_REASONS + ('listing_closed',)


def _reason(values):
    return sa.Enum(*values, name='rejection_reason', native_enum=False, create_constraint=True,
                   length=24)


def upgrade():
    with op.batch_alter_table('patents', schema=None) as batch_op:
        batch_op.add_column(sa.Column('listing_closed_at', sa.DateTime(), nullable=True))
    with op.batch_alter_table('matches', schema=None) as batch_op:
        batch_op.alter_column('rejection_reason', existing_type=_reason(OLD_REASONS),
                              type_=_reason(NEW_REASONS), existing_nullable=True)
        batch_op.create_index('ix_matches_status_calibrated', ['status', 'calibrated'],
                              unique=False)


def downgrade():
    with op.batch_alter_table('matches', schema=None) as batch_op:
        batch_op.drop_index('ix_matches_status_calibrated')
        batch_op.alter_column('rejection_reason', existing_type=_reason(NEW_REASONS),
                              type_=_reason(OLD_REASONS), existing_nullable=True)
    with op.batch_alter_table('patents', schema=None) as batch_op:
        batch_op.drop_column('listing_closed_at')
