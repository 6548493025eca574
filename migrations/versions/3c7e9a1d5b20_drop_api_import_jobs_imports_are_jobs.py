"""drop api_import_jobs: API imports are rows of the jobs table

Revision ID: 3c7e9a1d5b20
Revises: b7e1d2c3a4f5
Create Date: 2026-11-29 14:40:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '3c7e9a1d5b20'
down_revision = 'b7e1d2c3a4f5'
branch_labels = None
depends_on = None


def upgrade():
    # Queued API imports are not carried over: their files lived in this table's rows, which
    # only an API client that can post the file again could replace.
    with op.batch_alter_table('api_import_jobs', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_api_import_jobs_actor_id'))

    op.drop_table('api_import_jobs')


def downgrade():
    op.create_table('api_import_jobs',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=10), nullable=False),
    sa.Column('filename', sa.String(length=200), nullable=False),
    sa.Column('content', sa.LargeBinary(), nullable=True),
    sa.Column('actor_id', sa.Integer(), nullable=False),
    sa.Column('status', sa.String(length=12), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('started_at', sa.DateTime(), nullable=True),
    sa.Column('finished_at', sa.DateTime(), nullable=True),
    sa.Column('report', sa.JSON(), nullable=True),
    sa.Column('error', sa.Text(), nullable=True),
    sa.ForeignKeyConstraint(['actor_id'], ['users.id'], name=op.f('fk_api_import_jobs_actor_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_api_import_jobs'))
    )
    with op.batch_alter_table('api_import_jobs', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_api_import_jobs_actor_id'), ['actor_id'], unique=False)
