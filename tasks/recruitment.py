"""Prefect task over the recruitment flow's step. The service owns the rules and transactions;
the task adds retries and observability. Results are counts, never personal data."""
from __future__ import annotations

from anyio import to_thread
from prefect import task

from involve.services import recruitment_panel


@task(name="advance-recruitments", retries=2, retry_delay_seconds=[2, 10], persist_result=False)
async def advance_recruitments(limit: int = 100, everything: bool = False) -> dict[str, int]:
    """Advance every due open recruitment (each in its own transaction); returns counts by step."""
    return await to_thread.run_sync(lambda: recruitment_panel.advance_due(limit=limit, everything=everything))
