"""Prefect tasks that deliver the email outbox, queue reminder digests and ask again for payment details."""
from __future__ import annotations

from anyio import to_thread
from prefect import task

from involve.services import delivery, payment_details_asks, reminders


@task(name="send-email-batch", persist_result=False)
async def send_email_batch(batch_size: int = 500) -> tuple[int, int]:
    """Send one leased batch of due emails; returns (sent, failed). Email has ONE retry layer: the
    outbox row (attempts, next_attempt_at with backoff, services/delivery.py), so this task does not
    retry too; a batch that fails as a whole leaves its rows leased, and they are due again when the
    lease ends."""
    return await delivery.deliver_batch(limit=batch_size)


@task(name="queue-reminder-digests", persist_result=False)
async def queue_reminder_digests() -> int:
    return await to_thread.run_sync(reminders.queue_digests)


@task(name="ask-again-for-payment-details", persist_result=False)
async def ask_again_for_payment_details() -> tuple[int, int]:
    """Fresh `Payment details:` links where the last one expired unanswered; returns (claims asked,
    claims the co-ordinators were told about)."""
    r = await to_thread.run_sync(payment_details_asks.ask_again)
    return len(r.asked), len(r.told)
