"""Payroll export (fees only, each fee once, NI numbers, no future month, tax-year totals) and budgets
(cost centres from the policy, over_budget flag, the report equal to SQL), on SQLite and PostgreSQL."""
from __future__ import annotations

import csv
import json
import stat
from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
from typer.testing import CliRunner

from involve.cli.main import app
from involve.domain.claim_schema import parse_claim
from involve.errors import InvalidClaim, InvolveError
from involve.services import budgets, payroll, processing
from tests.integration.finance_support import FIN, approved, claim_for, get, setup_people, sql_money, submit

PAYROLL = {"account_name": "S Okafor", "sort_code": "12-34-56", "account_number": "12345678",
           "ni_number": "AB123456C", "payroll_reference": "P-0042"}


def test_payroll_export_fees_only_each_once(db, example_claim, tmp_path):
    setup_people()
    refs = approved(example_claim, 2, method="payroll", bank=PAYROLL)
    bank_only = approved(example_claim, 1, start=5)  # a bank transfer claim: not payroll's
    out = tmp_path / "payroll.csv"
    r = payroll.export(period="2026-11", by=FIN, out=out)
    assert stat.S_IMODE(out.stat().st_mode) == 0o600 and stat.S_IMODE(r.ytd_path.stat().st_mode) == 0o600
    with out.open() as fh:
        rows = list(csv.reader(fh))
    assert rows[0] == ["ni_number", "payroll_reference", "name", "period", "gross_fee", "claims"]
    assert len(rows) == 2 and rows[1][:4] == ["AB123456C", "P-0042", "Sam Okafor", "2026-11"]
    assert sorted(rows[1][5].split()) == sorted(refs) and bank_only[0] not in rows[1][5]
    fees = sql_money("SELECT SUM(fee_amount) FROM claims WHERE payment_method = 'payroll'")
    assert Decimal(rows[1][4]) == fees == r.total  # fees only: no expenses
    assert sql_money("SELECT SUM(amount) FROM payroll_lines") == fees
    with r.ytd_path.open() as fh:
        ytd = list(csv.DictReader(fh))
    assert ytd[0]["tax_year"] == "2026-27" and Decimal(ytd[0]["gross_fee_to_date"]) == fees
    with pytest.raises(InvolveError, match="no payroll fees"):
        payroll.export(period="2026-11", by=FIN, out=tmp_path / "again.csv")  # never a fee twice
    # payroll claims keep their expenses for the bank
    assert all(get(x).status == "approved" for x in refs)
    later = approved(example_claim, 1, start=8, method="payroll", bank=PAYROLL)
    again = payroll.export(period="2026-11", by=FIN, out=tmp_path / "payroll-2.csv")
    assert again.claims == later  # only the fee not exported before
    assert sql_money("SELECT COUNT(*) FROM payroll_lines") == 3
    assert sql_money("SELECT COUNT(DISTINCT claim_id) FROM payroll_lines") == 3
    with again.ytd_path.open() as fh:
        assert Decimal(next(csv.DictReader(fh))["gross_fee_to_date"]) == sql_money(
            "SELECT SUM(fee_amount) FROM claims WHERE payment_method = 'payroll'")


def test_payroll_refuses_future_period_and_bad_ni(db, example_claim, tmp_path):
    setup_people()
    now = datetime.now(UTC)
    future = f"{now.year + 1}-01"
    with pytest.raises(InvolveError, match="future"):
        payroll.export(period=future, by=FIN, out=tmp_path / "p.csv")
    with pytest.raises(InvolveError, match="not a month"):
        payroll.export(period="2026-13", by=FIN, out=tmp_path / "p.csv")
    with pytest.raises(InvolveError, match="future"):  # the month after today, even on its eve
        payroll.parse_period("2026-12", today=date(2026, 11, 30))
    assert payroll.parse_period("2026-11", today=date(2026, 11, 1)) == (date(2026, 11, 1), date(2026, 11, 30))
    assert payroll.parse_period("2024-02", today=date(2026, 11, 1))[1] == date(2024, 2, 29)
    assert not (tmp_path / "p.csv").exists()
    bad = claim_for(example_claim, 1, method="payroll", bank=dict(PAYROLL, ni_number="12345678A"))
    with pytest.raises(InvalidClaim) as exc:
        parse_claim(bad)
    assert exc.value.errors[0]["field"] == "payment.ni_number"
    r = CliRunner().invoke(app, ["payroll", "export", "--period", future, "--by", FIN, "--out", str(tmp_path / "x")])
    assert r.exit_code == 2 and "future" in r.stderr


def test_budget_flag_and_report_equal_sql(db, example_claim, tmp_path):
    setup_people()
    with pytest.raises(InvolveError, match="unknown cost centre"):
        budgets.set_budget(cost_centre="NOPE", year=2026, amount=Decimal("10"), by=FIN)
    budgets.set_budget(cost_centre="INV-REC", year=2026, amount=Decimal("150.00"), by=FIN)
    first = approved(example_claim, 1)  # interview_panel: INV-REC
    assert get(first[0]).cost_centre == "INV-REC" and "over_budget" not in get(first[0]).flags
    second = submit(claim_for(example_claim, 1), "d-over").reference
    processing.process_batch()
    assert "over_budget" in get(second).flags  # 2 x claim total > 150.00
    r = CliRunner().invoke(app, ["report", "budget", "--year", "2026", "--out", str(tmp_path / "b")])
    assert r.exit_code == 0, r.output
    assert r.stdout.strip().endswith("report.html") and (tmp_path / "b" / "charts" / "budget.svg").exists()
    for name in ("report.csv", "report.html", "charts/budget.svg"):  # written whole and owner-only
        assert stat.S_IMODE((tmp_path / "b" / name).stat().st_mode) == 0o600
    assert not list((tmp_path / "b").rglob("*.tmp"))
    with (tmp_path / "b" / "report.csv").open() as fh:
        rows = list(csv.DictReader(fh))
    assert list(rows[0]) == ["cost_centre", "month", "budget", "committed", "approved", "paid"]
    rec = [x for x in rows if x["cost_centre"] == "INV-REC"]
    assert len(rec) == 12 and sum(Decimal(x["budget"]) for x in rec) == Decimal("150.00")
    nov = next(x for x in rec if x["month"] == "2026-11")
    assert Decimal(nov["approved"]) == sql_money(
        "SELECT SUM(total_amount) FROM claims WHERE status = 'approved' AND cost_centre = 'INV-REC'")
    assert Decimal(nov["committed"]) == sql_money(
        "SELECT SUM(total_amount) FROM claims WHERE status = 'awaiting_approval' AND cost_centre = 'INV-REC'")
    r = CliRunner().invoke(app, ["budget", "set", "--cost-centre", "INV-GEN", "--year", "2026", "--amount",
                                 "99.999", "--by", FIN])
    assert r.exit_code == 2
    r = CliRunner().invoke(app, ["budget", "set", "--cost-centre", "INV-GEN", "--year", "2026", "--amount",
                                 "1200.00", "--by", FIN, "--json"])
    assert r.exit_code == 0 and json.loads(r.stdout)["amount"] == "1200.00"
