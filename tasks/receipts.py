"""Prefect task over the receipt-fetch service: retries and observability around one batch. Results are
counts, never personal data (no URLs, no file names)."""
from __future__ import annotations

from anyio import to_thread
from prefect import task

from involve.services import receipt_fetches


@task(name="fetch-receipt-batch", retries=1, retry_delay_seconds=5, persist_result=False)
async def fetch_receipt_batch(batch_size: int = 10) -> int:
    """Fetch one batch of due provider receipt files; returns how many rows were handled (kept, given
    up or left for a later attempt)."""
    result = await to_thread.run_sync(lambda: receipt_fetches.fetch_batch(limit=batch_size))
    return result.handled
