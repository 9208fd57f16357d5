"""claim search by part of a name or email: a trigram index (docs/performance.md, issue 17)

A search for part of a claimant's name or email (3 characters or more) reads a trigram index
instead of every entry of ix_claims_name_email (`involve/views/claims.py`, `_search`):

- SQLite: `claims_search`, an FTS5 table with the `trigram` tokenizer over claims.claimant_name and
  claims.claimant_email (external content: it stores the index, not a second copy of the text;
  `detail=none`: no positions, a tenth of the size), filled from the existing claims here and
  kept by three triggers on claims. A later migration that rebuilds `claims` (Alembic's batch
  "move and copy" on SQLite) drops those triggers and must create them again
  (tests/integration/test_claim_search.py fails if it does not).
- PostgreSQL: pg_trgm GIN indexes on the two columns, which ILIKE '%…%' uses. The downgrade drops
  the indexes and leaves the pg_trgm extension (other objects may use it; it holds no data).

Revision ID: 0013
Revises: 0012
"""
from alembic import op


revision = '0013'
down_revision = '0012'
branch_labels = None
depends_on = None

FTS_COLUMNS = "claimant_name, claimant_email"
SQLITE_UPGRADE = (
    f"CREATE VIRTUAL TABLE claims_search USING fts5({FTS_COLUMNS}, content='claims', content_rowid='id', "
    "tokenize='trigram', detail=none)",
    "INSERT INTO claims_search(claims_search) VALUES ('rebuild')",
    f"""CREATE TRIGGER claims_search_insert AFTER INSERT ON claims BEGIN
      INSERT INTO claims_search(rowid, {FTS_COLUMNS}) VALUES (new.id, new.claimant_name, new.claimant_email);
    END""",
    f"""CREATE TRIGGER claims_search_delete AFTER DELETE ON claims BEGIN
      INSERT INTO claims_search(claims_search, rowid, {FTS_COLUMNS})
        VALUES ('delete', old.id, old.claimant_name, old.claimant_email);
    END""",
    f"""CREATE TRIGGER claims_search_update AFTER UPDATE OF id, {FTS_COLUMNS} ON claims BEGIN
      INSERT INTO claims_search(claims_search, rowid, {FTS_COLUMNS})
        VALUES ('delete', old.id, old.claimant_name, old.claimant_email);
      INSERT INTO claims_search(rowid, {FTS_COLUMNS}) VALUES (new.id, new.claimant_name, new.claimant_email);
    END""",
)
SQLITE_DOWNGRADE = (
    "DROP TRIGGER IF EXISTS claims_search_update",
    "DROP TRIGGER IF EXISTS claims_search_delete",
    "DROP TRIGGER IF EXISTS claims_search_insert",
    "DROP TABLE IF EXISTS claims_search",
)
PG_UPGRADE = (
    "CREATE EXTENSION IF NOT EXISTS pg_trgm",
    "CREATE INDEX ix_claims_name_trgm ON claims USING gin (claimant_name gin_trgm_ops)",
    "CREATE INDEX ix_claims_email_trgm ON claims USING gin (claimant_email gin_trgm_ops)",
)
PG_DOWNGRADE = (
    "DROP INDEX IF EXISTS ix_claims_email_trgm",
    "DROP INDEX IF EXISTS ix_claims_name_trgm",
)


def _statements(sqlite: tuple[str, ...], postgresql: tuple[str, ...]) -> tuple[str, ...]:
    dialect = op.get_bind().dialect.name
    if dialect not in ("sqlite", "postgresql"):
        raise RuntimeError(f"0013: no trigram index for {dialect}")
    return sqlite if dialect == "sqlite" else postgresql


def upgrade() -> None:
    for sql in _statements(SQLITE_UPGRADE, PG_UPGRADE):
        op.execute(sql)


def downgrade() -> None:
    for sql in _statements(SQLITE_DOWNGRADE, PG_DOWNGRADE):
        op.execute(sql)
