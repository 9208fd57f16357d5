"""Flow: the User Forum's monthly payments report (figures only, no names), scheduled on the 1st of
each month (flows/registry.py). Writes OUT_ROOT/forum/YYYY-MM/ (HTML and CSV) and emails its figures
to each user forum's contact; the result is paths, a month and a count, never personal data."""
from __future__ import annotations

from datetime import date
from pathlib import Path

from prefect import flow

from involve import clock
from involve.domain.dates import LONDON
from tasks.programme import email_forum_reports
from tasks.reports import write_forum_report


def previous_month(today: date) -> str:
    first = today.replace(day=1)
    year, month = (first.year - 1, 12) if first.month == 1 else (first.year, first.month - 1)
    return f"{year:04d}-{month:02d}"


@flow(name="forum-report", persist_result=False)
async def forum_report(month: str | None = None, out_root: str | None = None) -> dict:
    """The monthly payments report for `month` (YYYY-MM; default: last month in UK time), under
    `out_root` (default: var/reports)."""
    from involve.settings import VAR_DIR

    out_root = out_root or str(VAR_DIR / "reports")
    month = month or previous_month(clock.now().astimezone(LONDON).date())
    result = await write_forum_report(month, str(Path(out_root) / "forum" / month))
    result["forums_emailed"] = await email_forum_reports(month, result["csv"])
    return result
