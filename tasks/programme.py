"""Prefect tasks of the involvement programme: the monthly report to each user forum's contact."""
from __future__ import annotations

from anyio import to_thread
from prefect import task

from involve.services import forums


@task(name="email-forum-reports", retries=2, retry_delay_seconds=[10, 60], persist_result=False)
async def email_forum_reports(month: str, csv_path: str) -> int:
    """Queue the month's figures (from the report's CSV) to every forum's contact; returns how many."""
    return await to_thread.run_sync(lambda: forums.send_monthly_report(month, csv_path))
