"""Flow: the daily reminders. One reminder digest per approver per day for claims waiting too long
(with re-routing around absences and escalation), then a fresh `Payment details:` link for claims
ready to pay whose person's last link expired unanswered, and the co-ordinators told when asking
has run out (involve/services/payment_details_asks.py)."""
from __future__ import annotations

from prefect import flow

from tasks.email import ask_again_for_payment_details, queue_reminder_digests


@flow(name="approval-reminders", persist_result=False)
async def approval_reminders() -> dict:
    digests = await queue_reminder_digests()
    asked, told = await ask_again_for_payment_details()
    return {"digests": digests, "payment_details_asked": asked, "coordinators_told": told}
