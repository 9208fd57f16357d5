"""receipt fetches: Typeform/Tally file-upload answers fetched in the background

Revision ID: 0015
Revises: 0009
Create Date: 2026-12-01 10:00:00
"""
from alembic import op
import sqlalchemy as sa
import models.base


revision = '0015'
down_revision = '0009'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('receipt_fetches',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('claim_id', sa.Integer(), nullable=False),
    sa.Column('line_no', sa.Integer(), nullable=False),
    sa.Column('source', sa.String(length=20), nullable=False),
    sa.Column('url', sa.Text(), nullable=False),
    sa.Column('state', sa.String(length=10), nullable=False),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('next_at', models.base.UTCDateTime(timezone=True), nullable=False),
    sa.Column('last_error', sa.String(length=300), nullable=True),
    sa.Column('created_at', models.base.UTCDateTime(timezone=True), nullable=False),
    sa.Column('finished_at', models.base.UTCDateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['claim_id'], ['claims.id'], name=op.f('fk_receipt_fetches_claim_id_claims'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_receipt_fetches'))
    )
    with op.batch_alter_table('receipt_fetches', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_receipt_fetches_claim_id'), ['claim_id'], unique=False)
        batch_op.create_index('ix_receipt_fetches_state_next_at', ['state', 'next_at'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('receipt_fetches', schema=None) as batch_op:
        batch_op.drop_index('ix_receipt_fetches_state_next_at')
        batch_op.drop_index(batch_op.f('ix_receipt_fetches_claim_id'))
    op.drop_table('receipt_fetches')
