"""The monthly forum-report flow (the deployment's entrypoint), run as a plain function."""
from __future__ import annotations

import asyncio
from datetime import date

from flows.reports import forum_report, previous_month
from tests.integration.test_lifecycle import setup_people, submit


def test_previous_month_crosses_the_year():
    assert previous_month(date(2026, 1, 1)) == "2025-12"
    assert previous_month(date(2026, 11, 30)) == "2026-10"


def test_forum_report_flow_writes_the_month_without_names(db, example_claim, tmp_path):
    setup_people()
    submit(example_claim)  # 2026-11-18, Sam Okafor
    result = asyncio.run(forum_report.fn(month="2026-11", out_root=str(tmp_path)))
    assert result["month"] == "2026-11"
    html, csv = (open(result[k]).read() for k in ("html", "csv"))
    assert result["html"].startswith(str(tmp_path / "forum" / "2026-11"))
    assert "claims_submitted" in csv
    for secret in ("Sam", "Okafor", "sam.okafor@example.org"):
        assert secret not in html and secret not in csv
