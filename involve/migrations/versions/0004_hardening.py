"""hardening: audit records carry a seal (an HMAC of their hash under INVOLVE_AUDIT_KEY, which is
never stored in the database), so a rewrite that recomputes the chain's hashes is found and named

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-30 13:30:00
"""
from alembic import op
import sqlalchemy as sa


revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column('audit_records', sa.Column('seal', sa.String(length=64), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('audit_records') as batch:
        batch.drop_column('seal')
