"""Flow: the retention job (docs/retention.md), scheduled monthly (flows/registry.py). The result is
counts only, never personal data."""

from __future__ import annotations

from prefect import flow

from tasks.retention import anonymise_expired


@flow(name="retention", persist_result=False)
async def retention(dry_run: bool = False) -> dict:
    """Anonymise claims and register entries past their retention period, as the system user."""
    return await anonymise_expired(dry_run)
