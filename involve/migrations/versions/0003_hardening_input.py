"""hardening (input): who keyed a claim by phone, when an email was given up, why processing set a claim aside, and the
index that finds a claim by (source, submission_id) so a re-sent submission is not a second claim

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-30 13:30:00
"""
from alembic import op
import sqlalchemy as sa


revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('claims') as batch:
        batch.add_column(sa.Column('keyed_by', sa.String(length=320), nullable=True))
        batch.add_column(sa.Column('hold_reason', sa.Text(), nullable=True))
    op.create_index('ix_claims_source_submission', 'claims', ['source', 'submission_id'], unique=False)
    with op.batch_alter_table('outbox') as batch:
        batch.add_column(sa.Column('failed_at', sa.DateTime(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('outbox') as batch:
        batch.drop_column('failed_at')
    op.drop_index('ix_claims_source_submission', table_name='claims')
    with op.batch_alter_table('claims') as batch:
        batch.drop_column('hold_reason')
        batch.drop_column('keyed_by')
