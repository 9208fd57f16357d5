"""Prefect tasks over the claim services. The services own the rules and the transactions;
tasks add retries and observability. Results are counts, never personal data."""
from __future__ import annotations

from anyio import to_thread
from prefect import task

from involve.services import processing


@task(name="process-claim-batch", retries=2, retry_delay_seconds=[1, 5], persist_result=False)
async def process_claim_batch(batch_size: int = 500) -> int:
    """Move one batch of submitted claims to awaiting_approval; returns how many."""
    refs = await to_thread.run_sync(lambda: processing.process_batch(limit=batch_size))
    return len(refs)
