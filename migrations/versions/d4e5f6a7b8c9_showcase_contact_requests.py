"""contact_requests: visitors of the public showcase ask to be put in touch (我要对接)

Revision ID: d4e5f6a7b8c9
Revises: c4a1b9e7d215
Create Date: 2026-11-29 16:40:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'd4e5f6a7b8c9'
down_revision = 'c4a1b9e7d215'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'contact_requests',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('patent_id', sa.Integer(), nullable=True),
        sa.Column('need_id', sa.Integer(), nullable=True),
        sa.Column('name', sa.String(length=80), nullable=False),
        sa.Column('organization', sa.String(length=200), nullable=False),
        sa.Column('phone', sa.String(length=40), nullable=True),
        sa.Column('email', sa.String(length=200), nullable=True),
        sa.Column('message', sa.Text(), nullable=False),
        sa.Column('status', sa.Enum('new', 'in_progress', 'closed', name='contact_status',
                                    native_enum=False, create_constraint=True, length=24),
                  nullable=False),
        sa.Column('created_at', sa.DateTime(), nullable=False),
        sa.Column('handled_by_id', sa.Integer(), nullable=True),
        sa.Column('handled_at', sa.DateTime(), nullable=True),
        sa.ForeignKeyConstraint(['handled_by_id'], ['users.id']),
        sa.ForeignKeyConstraint(['need_id'], ['needs.id'], ondelete='SET NULL'),
        sa.ForeignKeyConstraint(['patent_id'], ['patents.id'], ondelete='SET NULL'),
        sa.PrimaryKeyConstraint('id'),
    )
    with op.batch_alter_table('contact_requests', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_contact_requests_need_id'), ['need_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_contact_requests_patent_id'), ['patent_id'],
                              unique=False)
        batch_op.create_index(batch_op.f('ix_contact_requests_status'), ['status'], unique=False)


def downgrade():
    with op.batch_alter_table('contact_requests', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_contact_requests_status'))
        batch_op.drop_index(batch_op.f('ix_contact_requests_patent_id'))
        batch_op.drop_index(batch_op.f('ix_contact_requests_need_id'))
    op.drop_table('contact_requests')
