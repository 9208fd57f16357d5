"""staff pages at scale: indexes measured with bench/staff_pages.py (docs/performance.md, issue 17)

- ix_claims_name_email (claimant_name, claimant_email): a search for part of a name or email reads
  this narrow index instead of every claim row.
- ix_claims_lead_id, ix_claims_approver_id: a lead's own claims list (led by or routed to them),
  newest first, without reading the whole table.
- ix_people_name_id: the register list in name order stops after a page instead of sorting everyone.

Revision ID: 0010
Revises: 0006
"""
from alembic import op


revision = '0010'
down_revision = '0006'
branch_labels = None
depends_on = None

INDEXES = (
    ("ix_claims_name_email", "claims", ["claimant_name", "claimant_email"]),
    ("ix_claims_lead_id", "claims", ["lead_email", "id"]),
    ("ix_claims_approver_id", "claims", ["approver_email", "id"]),
    ("ix_people_name_id", "people", ["name", "id"]),
)


def upgrade() -> None:
    for name, table, columns in INDEXES:
        op.create_index(name, table, columns)


def downgrade() -> None:
    for name, table, _ in reversed(INDEXES):
        op.drop_index(name, table_name=table)
