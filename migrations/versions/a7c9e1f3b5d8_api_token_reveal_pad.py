"""api_tokens.reveal_pad: half of a new token's secret until the one page that shows it

Revision ID: a7c9e1f3b5d8
Revises: b3d5f7a9c1e2
Create Date: 2026-12-01 05:00:00.000000

"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = 'a7c9e1f3b5d8'
down_revision = 'b3d5f7a9c1e2'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('api_tokens', schema=None) as batch_op:
        batch_op.add_column(sa.Column('reveal_pad', sa.String(length=128), nullable=True))


def downgrade():
    with op.batch_alter_table('api_tokens', schema=None) as batch_op:
        batch_op.drop_column('reveal_pad')
