"""Flow: process every submitted claim, in batches (one flow run per batch of work, not per claim)."""
from __future__ import annotations

from prefect import flow

from tasks.claims import process_claim_batch


@flow(name="process-claims", log_prints=False, persist_result=False)
async def process_claims(batch_size: int = 500, max_batches: int = 200) -> int:
    """Move submitted claims to awaiting_approval until none are left (or max_batches ran)."""
    total = 0
    for _ in range(max_batches):
        done = await process_claim_batch(batch_size)
        total += done
        if done < batch_size:
            break
    return total
