"""Flow: queue one reminder digest per approver per day for claims waiting too long."""
from __future__ import annotations

from prefect import flow

from tasks.email import queue_reminder_digests


@flow(name="approval-reminders", persist_result=False)
async def approval_reminders() -> int:
    return await queue_reminder_digests()
