"""matches: an index on (status, rejection_reason, need_id, patent_id) that covers the
patent- and need-level rejections the engine reads on every match

Revision ID: a9c4e2f7b1d3
Revises: f3b8d2a6c1e4
Create Date: 2026-11-29 23:55:00.000000

"""
from alembic import op

# revision identifiers, used by Alembic.
revision = 'a9c4e2f7b1d3'
down_revision = 'f3b8d2a6c1e4'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('matches', schema=None) as batch_op:
        batch_op.create_index('ix_matches_status_reason',
                              ['status', 'rejection_reason', 'need_id', 'patent_id'],
                              unique=False)


def downgrade():
    with op.batch_alter_table('matches', schema=None) as batch_op:
        batch_op.drop_index('ix_matches_status_reason')
