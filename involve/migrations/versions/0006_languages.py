"""languages: a person's preferred language (BCP 47) on their claims and their register entry, and the
reading format on their claims (the register keeps it as people.preferred_format, 0008) (issue 16)

Revision ID: 0006
Revises: 0008
"""
from alembic import op
import sqlalchemy as sa


revision = '0006'
down_revision = '0008'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('claims') as batch:
        batch.add_column(sa.Column('claimant_language', sa.String(length=35), nullable=True))
        batch.add_column(sa.Column('claimant_format', sa.String(length=20), nullable=True))
    with op.batch_alter_table('people') as batch:
        batch.add_column(sa.Column('language', sa.String(length=35), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('people') as batch:
        batch.drop_column('language')
    with op.batch_alter_table('claims') as batch:
        batch.drop_column('claimant_format')
        batch.drop_column('claimant_language')
