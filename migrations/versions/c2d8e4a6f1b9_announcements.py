"""announcements: what a retried job must not announce twice (alerts, webhook events)

Revision ID: c2d8e4a6f1b9
Revises: a7c9e1f3b5d8
Create Date: 2026-12-01 12:00:00.000000

"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = 'c2d8e4a6f1b9'
down_revision = 'a7c9e1f3b5d8'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'announcements',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('event', sa.String(length=40), nullable=False),
        sa.Column('subject', sa.String(length=60), nullable=False),
        sa.Column('created_at', sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_announcements')),
        sa.UniqueConstraint('event', 'subject', name='uq_announcements_event_subject'),
    )


def downgrade():
    op.drop_table('announcements')
