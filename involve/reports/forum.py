"""The monthly payments report for the User Forum (`involve report forum --month YYYY-MM`).

Two views of the month, both without names or email addresses:
- claims for activities that took place in the month, by status, activity kind and borough;
- payments recorded in the month (UK time), with people paid and money by activity kind and borough.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import Connection, func, select

from involve.domain.claim_schema import ACTIVITY_KINDS, BOROUGHS
from involve.domain.dates import LONDON
from involve.errors import InvolveError
from involve.reports import queries, sections
from involve.reports.annual import MONEY_BASIS, ReportFiles
from involve.reports.figures import Figures, money
from involve.reports.queries import pence
from involve.reports.render import write_outputs
from models import Claim, Payment

STEPS = ("claims", "payments", "people", "files")


def parse_month(value: str) -> tuple[int, int]:
    try:
        year, month = (int(x) for x in value.split("-"))
        datetime(year, month, 1)
    except ValueError:
        raise InvolveError(f"--month: not a month: {value!r} (use YYYY-MM, like 2026-05)") from None
    return year, month


def month_bounds_utc(year: int, month: int) -> tuple[datetime, datetime]:
    """The month in UK local time, as a half-open UTC range."""
    start = datetime(year, month, 1, tzinfo=LONDON)
    end = datetime(year + (month == 12), month % 12 + 1, 1, tzinfo=LONDON)
    return start.astimezone(UTC), end.astimezone(UTC)


def paid_in(conn: Connection, start, end) -> list[tuple[str, str, int, int, int, int]]:
    """Payments recorded in [start, end): (kind, borough, payments, people, paid pence, expenses pence)."""
    stmt = (
        select(
            Claim.activity_kind,
            Claim.borough,
            func.count(),
            func.count(func.distinct(Claim.claimant_email)),
            pence(Payment.amount),
            pence(Claim.expenses_amount),
        )
        .select_from(Payment)
        .join(Claim, Claim.id == Payment.claim_id)
        .where(Payment.recorded_at >= start, Payment.recorded_at < end)
        .group_by(Claim.activity_kind, Claim.borough)
    )
    return [(k, b, int(n), int(p), int(m), int(e)) for k, b, n, p, m, e in conn.execute(stmt)]


def people_paid_in(conn: Connection, start, end) -> int:
    stmt = (
        select(func.count(func.distinct(Claim.claimant_email)))
        .select_from(Payment)
        .join(Claim, Claim.id == Payment.claim_id)
        .where(Payment.recorded_at >= start, Payment.recorded_at < end)
    )
    return int(conn.execute(stmt).scalar_one())


def add_payments(f: Figures, rows: list[tuple[str, str, int, int, int, int]], people_paid: int) -> None:
    counts: dict[str, Counter] = {
        m: Counter() for m in ("payments_made", "fee_paid_total", "expenses_paid_total", "paid_total")
    }
    for kind, borough, n, _, paid, expenses in rows:
        for key in (None, ("activity_kind", kind), ("borough", borough)):
            counts["payments_made"][key] += n
            counts["fee_paid_total"][key] += paid - expenses
            counts["expenses_paid_total"][key] += expenses
            counts["paid_total"][key] += paid
    kinds = sections.category_keys(ACTIVITY_KINDS, (r[0] for r in rows))
    boroughs = sections.category_keys(BOROUGHS, (r[1] for r in rows))
    for metric, counter in counts.items():
        fmt = str if metric == "payments_made" else money
        f.add("payments", metric, fmt(counter[None]))
        for dim, keys in (("activity_kind", kinds), ("borough", boroughs)):
            for key in keys:
                f.add("payments", metric, fmt(counter[(dim, key)]), dim, key)
    f.add("payments", "people_paid", people_paid)


def forum_report(
    month: str,
    out_dir: Path,
    *,
    url: str | None = None,
    pdf: bool = True,
    step: Callable[[str], None] = lambda _: None,
) -> ReportFiles:
    year, mon = parse_month(month)
    period = queries.calendar_month(year, mon)
    start, end = month_bounds_utc(year, mon)
    f = Figures()
    f.add("report", "month", period.label)
    with queries.snapshot(url) as conn:
        step(STEPS[0])
        sections.add_claim_counts(f, queries.claim_cells(conn, period), [])
        step(STEPS[1])
        add_payments(f, paid_in(conn, start, end), people_paid_in(conn, start, end))
        step(STEPS[2])
        f.add("people", "people_involved", queries.people_involved(conn, period)[None])
        by_borough = queries.people_involved(conn, period, "borough")
        for b in sections.category_keys(BOROUGHS, (k for k in by_borough if k)):
            f.add("people", "people_involved", by_borough.get(b, 0), "borough", b)
    step(STEPS[3])
    context = {
        "period": period,
        "money_basis": MONEY_BASIS,
        "generated": datetime.now(UTC).astimezone(LONDON).strftime("%d %B %Y, %H:%M"),
    }
    paths = write_outputs(out_dir, "forum.html.j2", f, {}, context, pdf)
    return ReportFiles(paths["html"], paths["csv"], paths.get("pdf"), context.get("pdf_note", ""), f)
