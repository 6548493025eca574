"""matches: the queue's default order as an index on PostgreSQL (status, calibrated DESC NULLS
LAST, score DESC, id); SQLite reads that order from ix_matches_status_calibrated

Revision ID: b3d5f7a9c1e2
Revises: a9c4e2f7b1d3
Create Date: 2026-11-30 19:50:00.000000

"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = 'b3d5f7a9c1e2'
down_revision = 'a9c4e2f7b1d3'
branch_labels = None
depends_on = None


def upgrade():
    if op.get_bind().dialect.name == "postgresql":
        op.create_index("ix_matches_queue_order", "matches",
                        ["status", sa.text("calibrated DESC NULLS LAST"), sa.text("score DESC"),
                         "id"])


def downgrade():
    if op.get_bind().dialect.name == "postgresql":
        op.drop_index("ix_matches_queue_order", table_name="matches")
