"""Turn query results into report figures: claims, payments, people, turnaround, rejections,
services and interviews. Shared by the annual report and the User Forum report.

Every breakdown lists the fixed categories (all activity kinds, all boroughs, every month) even
when a count is 0, so the CSV has the same rows from one year to the next.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from datetime import date

from involve.domain.claim_schema import ACTIVITY_KINDS, BOROUGHS
from involve.domain.recruitment import STAFF_GROUPS
from involve.reports.figures import Figures, money, one_place, percent
from involve.reports.queries import APPROVED, CLOSED, Cell, Period

ROLES = ("carer", "service_user")  # people involved as carers or as service users (people.carer)
STATUS_METRICS = {"claims_approved": APPROVED, "claims_rejected": ("rejected",), "claims_paid": ("paid",)}


def months(period: Period) -> list[str]:
    out, d = [], date(period.start.year, period.start.month, 1)
    while d <= period.end:
        out.append(f"{d.year:04d}-{d.month:02d}")
        d = date(d.year + (d.month == 12), d.month % 12 + 1, 1)
    return out


def category_keys(canonical: Iterable[str], seen: Iterable[str]) -> list[str]:
    canonical = list(canonical)
    return canonical + sorted({k for k in seen if k not in canonical})


def _add_breakdowns(
    f: Figures,
    section: str,
    metric: str,
    counter: Counter,
    fmt=str,
    dims: Iterable[tuple[str, list[str]]] = (),
) -> None:
    f.add(section, metric, fmt(counter[None]))
    for dim, keys in dims:
        for key in keys:
            f.add(section, metric, fmt(counter[(dim, key)]), dim, key)


def _tally(cells: Iterable[Cell], keep, value) -> Counter:
    c: Counter = Counter()
    for cell in cells:
        if keep(cell):
            v = value(cell)
            c[None] += v
            c[("activity_kind", cell.kind)] += v
            c[("borough", cell.borough)] += v
            c[("month", cell.month)] += v
    return c


def add_claims(f: Figures, cells: list[Cell], period: Period) -> None:
    """Claim counts (with claims_submitted by month) and the money of paid claims."""
    add_claim_counts(f, cells, months(period))
    add_paid_money(f, cells, period)


def add_claim_counts(f: Figures, cells: list[Cell], by_month: list[str]) -> None:
    """claims_submitted/approved/rejected/paid/open and late_claims, by activity kind and borough."""
    kinds = category_keys(ACTIVITY_KINDS, (c.kind for c in cells))
    boroughs = category_keys(BOROUGHS, (c.borough for c in cells))
    by_kind_borough = [("activity_kind", kinds), ("borough", boroughs)]
    count = _tally(cells, lambda c: True, lambda c: c.claims)
    _add_breakdowns(
        f,
        "claims",
        "claims_submitted",
        count,
        dims=[*by_kind_borough] + ([("month", by_month)] if by_month else []),
    )
    for metric, statuses in STATUS_METRICS.items():
        _add_breakdowns(
            f,
            "claims",
            metric,
            _tally(cells, lambda c, s=statuses: c.status in s, lambda c: c.claims),
            dims=by_kind_borough,
        )
    _add_breakdowns(
        f,
        "claims",
        "claims_open",
        _tally(cells, lambda c: c.status not in CLOSED, lambda c: c.claims),
    )
    _add_breakdowns(
        f, "claims", "late_claims", _tally(cells, lambda c: c.late, lambda c: c.claims), dims=by_kind_borough
    )


def add_paid_money(f: Figures, cells: list[Cell], period: Period) -> None:
    """fee_paid_total, expenses_paid_total, paid_total of the paid claims among `cells`."""
    kinds = category_keys(ACTIVITY_KINDS, (c.kind for c in cells))
    boroughs = category_keys(BOROUGHS, (c.borough for c in cells))
    by_kind_borough = [("activity_kind", kinds), ("borough", boroughs)]
    paid = [c for c in cells if c.status == "paid"]
    fee = _tally(paid, lambda c: True, lambda c: c.paid_pence - c.expenses_paid_pence)
    expenses = _tally(paid, lambda c: True, lambda c: c.expenses_paid_pence)
    total = _tally(paid, lambda c: True, lambda c: c.paid_pence)
    _add_breakdowns(f, "payments", "fee_paid_total", fee, money, by_kind_borough)
    _add_breakdowns(f, "payments", "expenses_paid_total", expenses, money, by_kind_borough)
    f.add("payments", "paid_total", money(total[None]))
    for dim, keys in (*by_kind_borough, ("month", months(period))):
        for key in keys:
            f.add("payments", "paid_total", money(total[(dim, key)]), dim, key)


def add_people(f: Figures, total: int, by_borough: dict, by_kind: dict, previous: int | None,
               by_role: dict | None = None) -> None:
    f.add("people", "people_involved", total)
    if by_role is not None:
        for role in ROLES:
            f.add("people", "people_involved", by_role.get(role, 0), "role", role)
    for b in category_keys(BOROUGHS, (k for k in by_borough if k)):
        f.add("people", "people_involved", by_borough.get(b, 0), "borough", b)
    for k in category_keys(ACTIVITY_KINDS, (k for k in by_kind if k)):
        f.add("people", "people_involved", by_kind.get(k, 0), "activity_kind", k)
    if previous is not None:
        f.add("people", "people_involved_previous_year", previous)
        f.add("people", "people_involved_change", f"{total - previous:+d}" if total != previous else "0")
        change = percent(total - previous, previous)
        f.add(
            "people",
            "people_involved_change_percent",
            change if change in ("n/a", "0.0") or change.startswith("-") else f"+{change}",
        )


def add_turnaround(f: Figures, n: int, median: float | None, p90: float | None) -> None:
    f.add("turnaround", "turnaround_paid_claims", n)
    f.add("turnaround", "turnaround_median_days", one_place(median))
    f.add("turnaround", "turnaround_p90_days", one_place(p90))


def add_rejections(f: Figures, reasons: list[tuple[str, int]], rejected_total: int) -> None:
    shown = 0
    for reason, n in reasons:
        f.add("rejections", "rejection_reason", n, "reason", reason)
        shown += n
    f.add("rejections", "rejection_reason", rejected_total - shown, "reason", "(other reasons)")


def add_services(f: Figures, services: list[tuple[str | None, int, int]], submitted_total: int) -> None:
    shown = 0
    for service, n, people in services:
        key = service if service is not None else "(not given)"
        f.add("dignity_equality", "claims_by_service", n, "service", key)
        f.add("dignity_equality", "people_by_service", people, "service", key)
        shown += n
    f.add("dignity_equality", "claims_by_service", submitted_total - shown, "service", "(other services)")


def add_interviews(f: Figures, cells: list[tuple[str, str, int]]) -> None:
    c: Counter = Counter()
    for group, borough, n in cells:
        c[None] += n
        c[("staff_group", group)] += n
        c[("borough", borough)] += n
    _add_breakdowns(
        f,
        "operational_policies",
        "interviews_with_involvement",
        c,
        dims=[
            ("staff_group", category_keys(STAFF_GROUPS, (g for g, _, _ in cells))),
            ("borough", category_keys(BOROUGHS, (b for _, b, _ in cells))),
        ],
    )
