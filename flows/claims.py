"""Flow: process every submitted claim, in batches (one flow run per batch of work, not per claim)."""
from __future__ import annotations

from prefect import flow

from flows.drain import drain
from tasks.claims import process_claim_batch


@flow(name="process-claims", log_prints=False, persist_result=False)
async def process_claims(batch_size: int = 500, max_batches: int = 200, deliver: bool = False) -> int:
    """Move submitted claims to awaiting_approval until none are left (or max_batches ran).

    `deliver`: then send the emails that queued (deliver-outbox as a subflow, in this process). The
    process-claims deployment sets it (prefect.yaml), so on a worker a claim's emails do not wait for
    a second flow run to start; the embedded runner delivers after each cycle anyway."""
    total = sum(await drain(process_claim_batch, batch_size=batch_size, max_batches=max_batches))
    if deliver and total:
        from flows.outbox import deliver_outbox

        await deliver_outbox()
    return total
