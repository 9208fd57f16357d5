"""Flow: the User Forum's monthly payments report (figures only, no names), e.g. scheduled on the 1st
of each month as a deployment. Writes OUT_ROOT/forum/YYYY-MM/ (HTML and CSV) and emails its figures
to each user forum's contact; the result is paths, a month and a count, never personal data."""
from __future__ import annotations

from datetime import date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from anyio import to_thread
from prefect import flow

from tasks.programme import email_forum_reports

LONDON = ZoneInfo("Europe/London")


def previous_month(today: date) -> str:
    first = today.replace(day=1)
    year, month = (first.year - 1, 12) if first.month == 1 else (first.year, first.month - 1)
    return f"{year:04d}-{month:02d}"


@flow(name="forum-report", persist_result=False)
async def forum_report(month: str | None = None, out_root: str = "var/reports") -> dict:
    """The monthly payments report for `month` (YYYY-MM; default: last month in UK time)."""
    from involve.reports.forum import forum_report as build

    month = month or previous_month(datetime.now(LONDON).date())
    out_dir = Path(out_root) / "forum" / month
    files = await to_thread.run_sync(lambda: build(month, out_dir, pdf=False))
    figures = {f"{r.metric}|{r.breakdown}": r.value for r in files.figures.rows}
    emailed = await email_forum_reports(month, figures, str(files.html.parent))
    return {"month": month, "html": str(files.html), "csv": str(files.csv), "forums_emailed": emailed}
