"""Flow: the retention job (docs/retention.md), e.g. scheduled monthly as a deployment. The result
is counts only, never personal data."""

from __future__ import annotations

from anyio import to_thread
from prefect import flow


@flow(name="retention", persist_result=False)
async def retention(dry_run: bool = False) -> dict:
    """Anonymise claims and register entries past their retention period, as the system user."""
    from involve.services import retention as service

    r = await to_thread.run_sync(lambda: service.run(dry_run=dry_run))
    return {"claims": r.claims, "people": r.people, "files": r.files, "dry_run": dry_run}
