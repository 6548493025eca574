"""match_history.cause_id: the patent- or need-level rejection that closed this pair too

Undoing that rejection finds by it every pair it closed (services/undo.py).

Revision ID: b5d7f9a1c3e6
Revises: e4f6a8c0d2b1
Create Date: 2026-12-02 17:40:00.000000

"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = 'b5d7f9a1c3e6'
down_revision = 'e4f6a8c0d2b1'
branch_labels = None
depends_on = None


def upgrade():
    # Rows written before have none: their rejections cannot be undone (they are old anyway).
    with op.batch_alter_table('match_history') as batch:
        batch.add_column(sa.Column('cause_id', sa.Integer(), nullable=True))
        batch.create_foreign_key('fk_match_history_cause_id_match_history', 'match_history',
                                 ['cause_id'], ['id'], ondelete='SET NULL')
        batch.create_index('ix_match_history_cause_id', ['cause_id'])


def downgrade():
    with op.batch_alter_table('match_history') as batch:
        batch.drop_index('ix_match_history_cause_id')
        batch.drop_constraint('fk_match_history_cause_id_match_history', type_='foreignkey')
        batch.drop_column('cause_id')
