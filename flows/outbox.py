"""Flow: deliver due emails from the outbox over SMTP, in batches over one connection each."""
from __future__ import annotations

from prefect import flow

from flows.drain import drain
from tasks.email import send_email_batch


@flow(name="deliver-outbox", persist_result=False)
async def deliver_outbox(batch_size: int = 500, max_batches: int = 200) -> dict:
    results = await drain(send_email_batch, batch_size=batch_size, max_batches=max_batches, size=sum)
    return {"sent": sum(s for s, _ in results), "failed": sum(f for _, f in results)}
