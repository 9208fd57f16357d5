"""finance: payment runs as a lifecycle (reference, status, format, paid), payee records, payroll
exports, budgets by cost centre, a claim's cost centre

Revision ID: 0007
Revises: 0005
Create Date: 2026-11-30 13:30:00
"""
from alembic import op
import sqlalchemy as sa
import models.base


revision = '0007'
down_revision = '0005'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('payment_runs', schema=None) as batch_op:
        batch_op.add_column(sa.Column('reference', sa.String(length=20), nullable=True))
        batch_op.add_column(sa.Column('status', sa.String(length=10), nullable=False, server_default='open'))
        batch_op.add_column(sa.Column('file_format', sa.String(length=10), nullable=False, server_default='csv'))
        batch_op.add_column(sa.Column('paid_at', models.base.UTCDateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('paid_by', sa.String(length=320), nullable=True))
        batch_op.create_unique_constraint(batch_op.f('uq_payment_runs_reference'), ['reference'])
    op.execute("UPDATE payment_runs SET reference = 'RUN-' || CAST(id AS VARCHAR(12)) WHERE reference IS NULL")
    with op.batch_alter_table('claims', schema=None) as batch_op:
        batch_op.add_column(sa.Column('cost_centre', sa.String(length=40), nullable=True))

    op.create_table('payees',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('email', sa.String(length=320), nullable=False),
    sa.Column('bank_details_encrypted', sa.LargeBinary(), nullable=True),
    sa.Column('bank_details_masked', sa.String(length=60), nullable=True),
    sa.Column('payroll_encrypted', sa.LargeBinary(), nullable=True),
    sa.Column('details_set_at', models.base.UTCDateTime(timezone=True), nullable=True),
    sa.Column('details_source', sa.String(length=60), nullable=True),
    sa.Column('pending_encrypted', sa.LargeBinary(), nullable=True),
    sa.Column('pending_masked', sa.String(length=60), nullable=True),
    sa.Column('pending_at', models.base.UTCDateTime(timezone=True), nullable=True),
    sa.Column('pending_source', sa.String(length=60), nullable=True),
    sa.Column('pending_confirmed_at', models.base.UTCDateTime(timezone=True), nullable=True),
    sa.Column('checked_by', sa.String(length=320), nullable=True),
    sa.Column('checked_at', models.base.UTCDateTime(timezone=True), nullable=True),
    sa.Column('created_at', models.base.UTCDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_payees')),
    sa.UniqueConstraint('email', name=op.f('uq_payees_email'))
    )
    op.create_table('payroll_exports',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('period', sa.String(length=7), nullable=False),
    sa.Column('created_by', sa.String(length=320), nullable=False),
    sa.Column('created_at', models.base.UTCDateTime(timezone=True), nullable=False),
    sa.Column('file_name', sa.String(length=300), nullable=False),
    sa.Column('people', sa.Integer(), nullable=False),
    sa.Column('total', models.base.Money(precision=12, scale=2), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_payroll_exports'))
    )
    op.create_table('payroll_lines',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('export_id', sa.Integer(), nullable=False),
    sa.Column('claim_id', sa.Integer(), nullable=False),
    sa.Column('claimant_email', sa.String(length=320), nullable=False),
    sa.Column('period', sa.String(length=7), nullable=False),
    sa.Column('amount', models.base.Money(precision=12, scale=2), nullable=False),
    sa.ForeignKeyConstraint(['claim_id'], ['claims.id'], name=op.f('fk_payroll_lines_claim_id_claims')),
    sa.ForeignKeyConstraint(['export_id'], ['payroll_exports.id'],
                            name=op.f('fk_payroll_lines_export_id_payroll_exports')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_payroll_lines')),
    sa.UniqueConstraint('claim_id', name=op.f('uq_payroll_lines_claim_id'))
    )
    with op.batch_alter_table('payroll_lines', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_payroll_lines_export_id'), ['export_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_payroll_lines_claimant_email'), ['claimant_email'], unique=False)
    op.create_table('budgets',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('cost_centre', sa.String(length=40), nullable=False),
    sa.Column('year', sa.Integer(), nullable=False),
    sa.Column('amount', models.base.Money(precision=12, scale=2), nullable=False),
    sa.Column('set_by', sa.String(length=320), nullable=False),
    sa.Column('set_at', models.base.UTCDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_budgets')),
    sa.UniqueConstraint('cost_centre', 'year', name=op.f('uq_budgets_cost_centre'))
    )


def downgrade() -> None:
    op.drop_table('budgets')
    with op.batch_alter_table('payroll_lines', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_payroll_lines_claimant_email'))
        batch_op.drop_index(batch_op.f('ix_payroll_lines_export_id'))
    op.drop_table('payroll_lines')
    op.drop_table('payroll_exports')
    op.drop_table('payees')
    with op.batch_alter_table('claims', schema=None) as batch_op:
        batch_op.drop_column('cost_centre')
    with op.batch_alter_table('payment_runs', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('uq_payment_runs_reference'), type_='unique')
        batch_op.drop_column('paid_by')
        batch_op.drop_column('paid_at')
        batch_op.drop_column('file_format')
        batch_op.drop_column('status')
        batch_op.drop_column('reference')
