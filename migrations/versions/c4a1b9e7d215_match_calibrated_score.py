"""calibrated match score (0-100) of each pair

Revision ID: c4a1b9e7d215
Revises: 3c7e9a1d5b20
Create Date: 2026-11-29 16:40:00.000000

"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = 'c4a1b9e7d215'
down_revision = '3c7e9a1d5b20'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('matches', schema=None) as batch_op:
        batch_op.add_column(sa.Column('calibrated', sa.Integer(), nullable=True))


def downgrade():
    with op.batch_alter_table('matches', schema=None) as batch_op:
        batch_op.drop_column('calibrated')
