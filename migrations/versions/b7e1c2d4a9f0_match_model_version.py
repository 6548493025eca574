"""model version of the learned reranker that ranked each pair

Revision ID: b7e1c2d4a9f0
Revises: 1ea0c5130caa
Create Date: 2026-11-29 13:55:00.000000

"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = 'b7e1c2d4a9f0'
down_revision = '1ea0c5130caa'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('matches', schema=None) as batch_op:
        batch_op.add_column(sa.Column('model_version', sa.String(length=40), nullable=True))


def downgrade():
    with op.batch_alter_table('matches', schema=None) as batch_op:
        batch_op.drop_column('model_version')
