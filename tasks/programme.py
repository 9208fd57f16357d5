"""Prefect tasks of the involvement programme: the monthly report to each user forum's contact."""
from __future__ import annotations

from anyio import to_thread
from prefect import task

from involve.services import forums


@task(name="email-forum-reports", retries=2, retry_delay_seconds=[10, 60], persist_result=False)
async def email_forum_reports(month: str, figures: dict[str, str], location: str) -> int:
    """Queue the month's figures to every forum's contact; returns how many were queued."""
    return await to_thread.run_sync(lambda: forums.send_monthly_report(month, figures, location))
