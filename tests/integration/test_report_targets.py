"""Targets per year against the annual report's figures (INVOLVE_TARGETS_FILE)."""

from __future__ import annotations

import csv
from datetime import date

from involve import settings as settings_module
from involve.reports.annual import annual_report
from involve.reports.generate import generate

TARGETS = """
[[targets]]
year = 2025
metric = "people_involved"
target = "1"

[[targets]]
year = 2025
metric = "claims_submitted"
breakdown = "borough:havering"
target = "1000000"

[[targets]]
year = 2025
metric = "late_claims"
target = "1000000"
direction = "at_most"

[[targets]]
year = 2025
metric = "no_such_figure"
target = "3"

[[targets]]
year = 2024
metric = "people_involved"
target = "5"
"""


def rows(path) -> dict[tuple[str, str], str]:
    with open(path, newline="", encoding="utf-8") as fh:
        return {(r["metric"], r["breakdown"]): r["value"] for r in csv.DictReader(fh)}


def test_targets_of_the_year_against_the_actual_figures(db, tmp_path, monkeypatch):
    generate(300, seed=5, people=30, first_year=2024, today=date(2026, 6, 30))
    target_file = tmp_path / "targets.toml"
    target_file.write_text(TARGETS)
    monkeypatch.setenv("INVOLVE_TARGETS_FILE", str(target_file))
    settings_module.reset_settings()
    files = annual_report(2025, tmp_path / "r", pdf=False)
    got = rows(files.csv)
    assert int(got[("people_involved", "")]) >= 1
    assert (got[("target_people_involved", "")], got[("target_met_people_involved", "")]) == ("1", "yes")
    assert got[("target_met_claims_submitted", "borough:havering")] == "no"
    assert got[("target_met_late_claims", "")] == "yes"
    assert got[("target_met_no_such_figure", "")] == "n/a"
    assert not any(m.startswith("target") and m.endswith("_2024") for m, _ in got)
    assert len([k for k in got if k[0].startswith("target_met_")]) == 4  # only the year's targets
    assert "Targets for 2025/26" in files.html.read_text()
