"""Flow: deliver due emails from the outbox over SMTP, in batches over one connection each."""
from __future__ import annotations

from prefect import flow

from tasks.email import send_email_batch


@flow(name="deliver-outbox", persist_result=False)
async def deliver_outbox(batch_size: int = 500, max_batches: int = 200) -> dict:
    sent = failed = 0
    for _ in range(max_batches):
        s, f = await send_email_batch(batch_size)
        sent, failed = sent + s, failed + f
        if s + f < batch_size:
            break
    return {"sent": sent, "failed": failed}
