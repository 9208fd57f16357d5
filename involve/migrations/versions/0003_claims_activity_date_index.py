"""index claims by activity date, so a year's report reads that year only

Revision ID: 0003
Revises: 0002
"""
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_claims_activity_date", "claims", ["activity_date"])


def downgrade() -> None:
    op.drop_index("ix_claims_activity_date", table_name="claims")
