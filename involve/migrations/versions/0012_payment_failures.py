"""finance: why a payment failed (the bank's reason) and which run it came back from

Revision ID: 0012
Revises: 0015
"""
from alembic import op
import sqlalchemy as sa
import models.base


revision = '0012'
down_revision = '0015'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('payment_failures',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('claim_id', sa.Integer(), nullable=False),
    sa.Column('run_id', sa.Integer(), nullable=True),
    sa.Column('reason', sa.String(length=500), nullable=False),
    sa.Column('recorded_by', sa.String(length=320), nullable=False),
    sa.Column('recorded_at', models.base.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['claim_id'], ['claims.id'], name=op.f('fk_payment_failures_claim_id_claims'),
                            ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['run_id'], ['payment_runs.id'], name=op.f('fk_payment_failures_run_id_payment_runs')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_payment_failures'))
    )
    with op.batch_alter_table('payment_failures', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_payment_failures_claim_id'), ['claim_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_payment_failures_run_id'), ['run_id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('payment_failures', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_payment_failures_run_id'))
        batch_op.drop_index(batch_op.f('ix_payment_failures_claim_id'))
    op.drop_table('payment_failures')
