"""Prefect tasks that deliver the email outbox, queue reminder digests and ask again for payment details."""
from __future__ import annotations

from anyio import to_thread
from prefect import task

from involve.services import delivery, payment_details_asks, reminders


@task(name="send-email-batch", persist_result=False)
async def send_email_batch(batch_size: int = 500, lease: int | None = None) -> tuple[int, int]:
    """Send up to `batch_size` due emails, leasing `lease` (INVOLVE_OUTBOX_BATCH, 50) at a time so
    that senders on other workers share a backlog, in one task run (a Prefect task run per lease of
    50 cost the Prefect server and the flow run more CPU than sending); returns (sent, failed).
    Email has ONE retry layer: the outbox row (attempts, next_attempt_at with backoff,
    services/delivery.py), so this task does not retry too; a batch that fails as a whole leaves its
    rows leased, and they are due again when the lease ends."""
    from involve.settings import settings

    lease = lease or settings.outbox_batch
    sent = failed = 0
    while sent + failed < batch_size:
        want = min(lease, batch_size - sent - failed)
        s, f = await delivery.deliver_batch(limit=want)
        sent, failed = sent + s, failed + f
        if s + f < want:  # nothing more is due (or the rest is leased by another sender)
            break
    return sent, failed


@task(name="queue-reminder-digests", persist_result=False)
async def queue_reminder_digests() -> int:
    return await to_thread.run_sync(reminders.queue_digests)


@task(name="ask-again-for-payment-details", persist_result=False)
async def ask_again_for_payment_details() -> tuple[int, int]:
    """Fresh `Payment details:` links where the last one expired unanswered; returns (claims asked,
    claims the co-ordinators were told about)."""
    r = await to_thread.run_sync(payment_details_asks.ask_again)
    return len(r.asked), len(r.told)
