"""notifications.reason: a notice's words as msgid and parameters, shown in the reader's language

Revision ID: e4f6a8c0d2b1
Revises: c2d8e4a6f1b9
Create Date: 2026-12-02 06:10:00.000000

"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = 'e4f6a8c0d2b1'
down_revision = 'c2d8e4a6f1b9'
branch_labels = None
depends_on = None


def upgrade():
    # Notices written before keep only their text (``message``), shown as written.
    op.add_column('notifications', sa.Column('reason', sa.JSON(), nullable=True))


def downgrade():
    with op.batch_alter_table('notifications') as batch:
        batch.drop_column('reason')
