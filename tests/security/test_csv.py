"""Issue 18, item 3: every CSV through one writer that neutralises formulas and control characters."""
from __future__ import annotations

import copy
import csv
import stat

import pytest

from involve.csvfile import safe_cell, write_csv
from involve.reports.figures import Figures
from involve.services import claims, payment_runs, processing
from tests.integration.test_lifecycle import COORD, FIN, setup_people, submit


@pytest.mark.parametrize(("value", "shown"), [
    ("=HYPERLINK(\"http://evil.example\",\"x\")", "'=HYPERLINK(\"http://evil.example\",\"x\")"),
    ("+1+1", "'+1+1"), ("-2+3", "'-2+3"), ("@SUM(A1)", "'@SUM(A1)"), ("\t=1", "'=1"), ("\r=1", "'=1"),
    ("Sam\nOkafor", "SamOkafor"), ("\x00=1", "'=1"), ("Sam Okafor", "Sam Okafor"), (12, "12"), (None, ""),
])
def test_safe_cell(value, shown):
    assert safe_cell(value) == shown


def test_write_csv_is_atomic_and_private_when_asked(tmp_path):
    path = write_csv(tmp_path / "x.csv", ["a", "b"], [["=1", "ok"]], mode=0o600)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert list(csv.reader(path.open())) == [["a", "b"], ["'=1", "ok"]]
    assert [p.name for p in tmp_path.iterdir()] == ["x.csv"]


def test_payment_run_csv_shows_a_formula_name_as_text(db, example_claim, tmp_path):
    setup_people()
    claim = copy.deepcopy(example_claim)
    claim["claimant"]["name"] = '=HYPERLINK("http://evil.example","Sam")'
    ref = submit(claim).reference
    processing.process_batch()
    claims.approve(ref, by=COORD)
    run = payment_runs.create_run(by=FIN, out_dir=tmp_path / "runs")
    rows = list(csv.DictReader(run.path.open()))
    assert rows[0]["claimant_name"] == "'" + claim["claimant"]["name"]
    assert stat.S_IMODE(run.path.stat().st_mode) == 0o600


def test_report_csv_goes_through_the_same_writer(tmp_path):
    f = Figures()
    f.add("claims", "by_service", "=cmd|' /C calc'!A0", by="service", key="-service")
    f.write_csv(tmp_path / "report.csv")
    rows = list(csv.reader((tmp_path / "report.csv").open()))
    assert all(not cell.startswith(("=", "+", "-", "@")) for row in rows for cell in row)
