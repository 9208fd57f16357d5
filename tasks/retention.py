"""Prefect task over the retention service (docs/retention.md). Results are counts, never personal data."""
from __future__ import annotations

from anyio import to_thread
from prefect import task

from involve.services import retention


@task(name="anonymise-expired", persist_result=False)
async def anonymise_expired(dry_run: bool = False) -> dict:
    """Anonymise claims and register entries past their retention period, as the system user; delete
    payment-run files older than INVOLVE_PAYMENT_RUN_FILE_DAYS."""
    r = await to_thread.run_sync(lambda: retention.run(dry_run=dry_run))
    return {"claims": r.claims, "people": r.people, "files": r.files, "dry_run": dry_run}
