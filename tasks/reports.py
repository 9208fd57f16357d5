"""Prefect task over the reports. Results are paths and periods, never personal data."""
from __future__ import annotations

from pathlib import Path

from anyio import to_thread
from prefect import task


@task(name="write-forum-report", persist_result=False)
async def write_forum_report(month: str, out_dir: str) -> dict:
    """The User Forum's payments report for `month` (YYYY-MM): HTML and CSV under `out_dir`."""
    from involve.reports.forum import forum_report

    files = await to_thread.run_sync(lambda: forum_report(month, Path(out_dir), pdf=False))
    return {"month": month, "html": str(files.html), "csv": str(files.csv)}
