"""Flow: deliver due emails from the outbox over SMTP, in small leased batches, a few connections each."""
from __future__ import annotations

from prefect import flow

from flows.drain import drain
from tasks.email import send_email_batch


@flow(name="deliver-outbox", persist_result=False)
async def deliver_outbox(batch_size: int = 500, max_batches: int = 200, give_way_to_claims: bool = False) -> dict:
    """Send due emails until none is left, `batch_size` per task run, leased 50 at a time
    (INVOLVE_OUTBOX_BATCH): small leases, so that runs on other workers take their share of a
    backlog instead of finding it all leased by the first run.

    `give_way_to_claims` (the embedded runner, which runs one flow at a time): stop after a task run
    when claims are waiting to be processed; the runner's next cycle processes them and then
    delivers the rest (each claim's own emails queue when it is processed)."""
    give_way = None
    if give_way_to_claims:
        from anyio import to_thread

        from involve.services.processing import claims_waiting

        async def give_way() -> bool:
            return await to_thread.run_sync(claims_waiting)

    results = await drain(send_email_batch, batch_size=batch_size, max_batches=max_batches, size=sum,
                          give_way=give_way)
    return {"sent": sum(s for s, _ in results), "failed": sum(f for _, f in results)}
