"""The annual report and the User Forum report against independent SQL, on SQLite and PostgreSQL.

Data: the seeded generator plus hand-made edge cases (claims on 31 March and 1 April either side
of the year, a person active in two boroughs, a claimant not in the register, rejected and
approved-but-unpaid claims, an expenses-only payment). Every row of report.csv must equal the
figure `report_expect` works out with raw SQL.
"""

from __future__ import annotations

import csv
import re
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, insert, select, text

from involve.db import get_engine
from involve.reports.annual import annual_report
from involve.reports.forum import forum_report
from involve.reports.generate import generate
from models import Claim, Payment, Person
from tests.integration.report_expect import expected, q

YEAR = 2025
TODAY = date(2026, 10, 31)
TWO = "edge.two.boroughs@example.org"
UNREGISTERED = "edge.unregistered@example.org"
EMAIL = re.compile(r"[\w.+-]+@[\w-]+\.[\w.]+")


def _claim(
    cid: int,
    email: str,
    day: date,
    status: str,
    borough: str,
    *,
    late: bool = False,
    expenses_only: bool = False,
    reason: str | None = None,
) -> dict:
    submitted = datetime.combine(day, time(12), UTC) + timedelta(days=95 if late else 2)
    return {
        "id": cid,
        "reference": f"CLM-EDGE{cid:06d}",
        "status": status,
        "claimant_name": "Edge Case Person",
        "claimant_email": email,
        "activity_kind": "meeting",
        "activity_title": "Edge meeting",
        "activity_date": day,
        "activity_start": "10:00",
        "activity_end": "12:00",
        "borough": borough,
        "service": "Community Recovery Team",
        "fee_claimed": True,
        "fee_amount": Decimal("20.00"),
        "expenses_amount": Decimal("5.50"),
        "total_amount": Decimal("25.50"),
        "flags": ["late"] if late else [],
        "expenses_only": expenses_only,
        "rejection_reason": reason,
        "submitted_at": submitted,
        "paid_at": submitted + timedelta(days=9, hours=5) if status == "paid" else None,
    }


def add_edge_cases() -> None:
    engine = get_engine()
    with engine.begin() as conn:
        cid = conn.execute(select(func.max(Claim.id))).scalar_one() + 1
        pid = conn.execute(select(func.max(Payment.id))).scalar_one() + 1
        conn.execute(
            insert(Person.__table__),
            [
                {
                    "email": TWO,
                    "name": "Edge Two Boroughs",
                    "borough": "havering",
                    "active": True,
                    "recruitment_consent": False,
                    "unavailable": [],
                    "conflicts": [],
                    "age_band": "65-74",
                    "ethnic_group": "mixed",
                    "gender": "female",
                    "disability": None,
                    "learning_disability": None,
                    "created_at": datetime.now(UTC),
                }
            ],
        )
        claims = [
            _claim(cid, TWO, date(2025, 3, 31), "paid", "havering"),  # the year before
            _claim(cid + 1, TWO, date(2025, 4, 1), "paid", "havering", late=True, expenses_only=True),
            _claim(cid + 2, TWO, date(2026, 3, 31), "approved", "redbridge"),  # approved, not paid
            _claim(cid + 3, TWO, date(2026, 4, 1), "approved", "waltham_forest"),  # the year after
            _claim(cid + 4, UNREGISTERED, date(2025, 10, 10), "approved", "waltham_forest"),
            _claim(
                cid + 5,
                UNREGISTERED,
                date(2025, 10, 11),
                "rejected",
                "waltham_forest",
                reason="Duplicate claim",
            ),
        ]
        conn.execute(insert(Claim.__table__), claims)
        conn.execute(
            insert(Payment.__table__),
            [
                {
                    "id": pid + i,
                    "claim_id": c["id"],
                    "recorded_by": "finance@example.nhs.uk",
                    "recorded_at": c["paid_at"],
                    "amount": c["expenses_amount"] if c["expenses_only"] else c["total_amount"],
                }
                for i, c in enumerate(c for c in claims if c["status"] == "paid")
            ],
        )


@pytest.fixture
def data(db):
    generate(2500, seed=11, people=70, first_year=2023, today=TODAY)
    add_edge_cases()
    return db


def read_csv(path) -> dict[tuple[str, str], str]:
    with open(path, newline="", encoding="utf-8") as fh:
        reader = csv.reader(fh)
        assert next(reader) == ["section", "metric", "breakdown", "value"]
        rows = [tuple(r) for r in reader]
    # a cell starting with + - = @ is written with a leading ' (shown as text): read it as a spreadsheet does
    got = {(metric, breakdown): value.removeprefix("'") if value[1:2] in ("+", "-", "=", "@") else value
           for _, metric, breakdown, value in rows}
    assert len(got) == len(rows), "each (metric, breakdown) appears once"
    return got


def test_every_annual_figure_equals_independent_sql(data, tmp_path):
    files = annual_report(YEAR, tmp_path / "annual", pdf=False)
    got = read_csv(files.csv)
    with get_engine().connect() as conn:
        want = expected(conn, YEAR)
        exclusive = q(
            conn,
            "SELECT COUNT(*) FROM claims WHERE activity_date >= :lo AND activity_date < :hi "
            "AND borough = 'waltham_forest' AND status IN ('approved', 'paid')",
            lo=date(2025, 4, 1),
            hi=date(2026, 4, 1),
        )[0][0]
        inclusive = q(
            conn,
            "SELECT COUNT(*) FROM claims WHERE activity_date >= :lo AND activity_date <= :hi "
            "AND borough = 'waltham_forest' AND status IN ('approved', 'paid')",
            lo=date(2025, 4, 1),
            hi=date(2026, 4, 1),
        )[0][0]
    assert sorted(set(got) - set(want)) == [] and sorted(set(want) - set(got)) == []
    assert {k: (got[k], want[k]) for k in want if got[k] != want[k]} == {}
    # the edge cases really are exercised
    assert inclusive > exclusive and got[("claims_approved", "borough:waltham_forest")] == str(exclusive)
    assert int(got[("claims_submitted", "")]) > 500 and int(got[("claims_rejected", "")]) > 0
    assert int(got[("claims_approved", "")]) > int(got[("claims_paid", "")])  # approved but unpaid claims
    assert int(got[("interviews_with_involvement", "")]) > 0
    for metric in ("activities_held", "activity_attendances", "monitoring_outputs", "forum_meetings", "plan_actions",
                   "jds_co_written", "questions_contributed", "questions_used", "people_trained", "panel_days_paid",
                   "unmet_needs", "buddy_pairs", "support_requests"):
        assert int(got[(metric, "")]) > 0, f"the generated data exercises {metric}"
    assert int(got[("people_involved", "role:carer")]) > 0 and int(got[("people_involved", "role:service_user")]) > 0
    assert "Action plan progress" in files.html.read_text()
    assert int(got[("action_claims", "action:4.1")]) > 0 and int(got[("action_activities", "action:5.1")]) > 0
    by_borough = sum(
        int(got[("people_involved", f"borough:{b}")])
        for b in ("barking_dagenham", "havering", "redbridge", "waltham_forest", "trust_wide")
    )
    assert by_borough > int(got[("people_involved", "")])  # people active in several boroughs count in each
    suppressed = [k for k, v in got.items() if v == "<5"]
    assert any(k[0] == "profile_people" for k in suppressed)
    for (metric, _), value in got.items():
        if metric.startswith(("profile_", "involved_", "decided_", "approval_rate", "rejection_rate")):
            assert not (value.isdigit() and int(value) < 5), f"{metric} shows a small number: {value}"
    html = files.html.read_text()
    assert f"£{int(Decimal(got[('fee_paid_total', '')])):,}" in html and not EMAIL.search(html)
    assert len(list((tmp_path / "annual" / "charts").glob("*.svg"))) == 5


def test_an_empty_year_still_has_every_metric(db, tmp_path):
    got = read_csv(annual_report(2019, tmp_path / "empty", pdf=False).csv)
    for metric in (
        "claims_submitted",
        "claims_approved",
        "claims_rejected",
        "claims_paid",
        "people_involved",
        "fee_paid_total",
        "expenses_paid_total",
        "interviews_with_involvement",
    ):
        assert got[(metric, "")] in ("0", "0.00")
    assert got[("claims_submitted", "activity_kind:meeting")] == "0"
    assert got[("fee_paid_total", "activity_kind:interview_panel")] == "0.00"
    assert got[("turnaround_median_days", "")] == "n/a"


def _london_month_utc(year: int, month: int) -> tuple[datetime, datetime]:
    london = ZoneInfo("Europe/London")
    start = datetime(year, month, 1, tzinfo=london).astimezone(UTC)
    end = datetime(year + (month == 12), month % 12 + 1, 1, tzinfo=london).astimezone(UTC)
    return start, end


def test_forum_report_has_no_names_or_emails_and_independent_figures(data, tmp_path):
    files = forum_report("2025-10", tmp_path / "forum", pdf=False)
    got = read_csv(files.csv)
    page, sheet = files.html.read_text(), files.csv.read_text()
    start, end = _london_month_utc(2025, 10)
    with get_engine().connect() as conn:
        sqlite = conn.dialect.name == "sqlite"
        bound = (lambda d: d.strftime("%Y-%m-%d %H:%M:%S.%f")) if sqlite else (lambda d: d)
        people = q(
            conn, "SELECT name, email FROM people UNION SELECT claimant_name, claimant_email FROM claims"
        )
        paid = q(
            conn,
            "SELECT COUNT(*), SUM(p.amount), COUNT(DISTINCT c.claimant_email) FROM payments p "
            "JOIN claims c ON c.id = p.claim_id WHERE p.recorded_at >= :s AND p.recorded_at < :e",
            s=bound(start),
            e=bound(end),
        )[0]
        claims = q(
            conn,
            "SELECT COUNT(*) FROM claims WHERE activity_date >= :lo AND activity_date < :hi",
            lo=date(2025, 10, 1),
            hi=date(2025, 11, 1),
        )[0][0]
        involved = q(
            conn,
            "SELECT COUNT(DISTINCT claimant_email) FROM claims WHERE activity_date >= :lo "
            "AND activity_date < :hi AND status IN ('approved', 'paid')",
            lo=date(2025, 10, 1),
            hi=date(2025, 11, 1),
        )[0][0]
    assert not EMAIL.search(page) and not EMAIL.search(sheet)
    for name, email in people:
        assert name not in page and name not in sheet
        assert email not in page and email not in sheet
    assert paid[0] > 0
    assert got[("payments_made", "")] == str(paid[0])
    assert got[("paid_total", "")] == f"{Decimal(str(paid[1])).quantize(Decimal('0.01')):.2f}"
    assert got[("people_paid", "")] == str(paid[2])
    assert got[("claims_submitted", "")] == str(claims)
    assert got[("people_involved", "")] == str(involved)


def test_pdf_is_written_when_weasyprint_works(data, tmp_path):
    try:
        import weasyprint  # noqa: F401
    except Exception as exc:  # noqa: BLE001 - ImportError, or OSError when Pango is missing
        pytest.skip(f"WeasyPrint is not usable here ({type(exc).__name__}): the PDF is optional")
    if get_engine().dialect.name != "sqlite":
        pytest.skip("the PDF does not depend on the database; once on SQLite is enough")
    files = annual_report(YEAR, tmp_path / "pdf")
    if files.pdf is None:
        pytest.skip(files.note)
    assert files.pdf.read_bytes()[:5] == b"%PDF-"
    with get_engine().connect() as conn:
        assert conn.execute(text("SELECT COUNT(*) FROM claims")).scalar_one() > 0
