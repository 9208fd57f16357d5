"""The report SQL. Every figure is an aggregate computed in the database (GROUP BY, COUNT
DISTINCT, ORDER BY ... LIMIT for percentiles); Python only adds up small result sets.

Claims belong to a period by their activity date. Money is summed in whole pence so SQLite's
REAL storage never leaks rounding into the totals.
"""

from __future__ import annotations

import calendar
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from sqlalchemy import BigInteger, Connection, Text, case, cast, extract, func, or_, select

from involve.db import get_engine
from models import Claim, Payment, Person

APPROVED = ("approved", "paid")
FINAL = ("approved", "paid", "rejected")  # decided; `withdrawn` (the person did not claim) is neither
CLOSED = (*FINAL, "withdrawn")  # not open: everything else (awaiting_confirmation ... second approval) is


@dataclass(frozen=True)
class Period:
    start: date
    end: date  # inclusive
    label: str


def financial_year(year: int) -> Period:
    """1 April `year` to 31 March `year`+1."""
    return Period(date(year, 4, 1), date(year + 1, 3, 31), f"{year}/{str(year + 1)[2:]}")


def calendar_month(year: int, month: int) -> Period:
    return Period(
        date(year, month, 1),
        date(year, month, calendar.monthrange(year, month)[1]),
        f"{year:04d}-{month:02d}",
    )


@contextmanager
def snapshot(url: str | None = None) -> Iterator[Connection]:
    """One read-only transaction, so every figure of a report comes from the same moment."""
    engine = get_engine(url)
    if engine.dialect.name == "sqlite":
        engine = engine.execution_options(sqlite_begin="DEFERRED")
    else:
        engine = engine.execution_options(isolation_level="REPEATABLE READ", postgresql_readonly=True)
    with engine.connect() as conn:
        if conn.dialect.name == "sqlite":
            # sorts and the materialised CTE in memory (they are small: aggregates, one column);
            # set on the driver connection, outside any transaction. No mmap: mapped pages of a
            # large database would count in the report's resident memory.
            conn.connection.driver_connection.execute("PRAGMA temp_store=MEMORY")
        with conn.begin():
            yield conn


def in_period(period: Period):
    return Claim.activity_date.between(period.start, period.end)


def pence(column):
    return func.coalesce(func.sum(cast(func.round(column * 100), BigInteger)), 0)


def month_of(conn: Connection, column):
    if conn.dialect.name == "postgresql":
        return func.to_char(column, "YYYY-MM")
    return func.substr(column, 1, 7)  # SQLite keeps dates as ISO text: "2026-11-30" -> "2026-11"


@dataclass(frozen=True)
class Cell:
    """Claims of one kind, borough, month, status, lateness and claimant's ethnic group, with the
    money of their payments."""

    kind: str
    borough: str
    month: str
    status: str
    late: bool
    ethnic_group: str | None
    claims: int
    paid_pence: int
    expenses_paid_pence: int


def claim_cells(conn: Connection, period: Period) -> list[Cell]:
    """One pass over the period's claims, grouped finely enough for every claims/payments figure."""
    late = case((cast(Claim.flags, Text).like('%"late"%'), 1), else_=0)
    month = month_of(conn, Claim.activity_date)
    # each claimant's ethnic group from a small materialised copy of two register columns: one lookup
    # per claim in it (SQLite builds a covering index for it) instead of the register's email index and
    # then its wide row; about 1 s of 5 at 600,000 claims in the year (docs/performance.md, issue 15)
    groups = select(Person.email, Person.ethnic_group).cte("person_groups").prefix_with("MATERIALIZED")
    stmt = (
        select(
            Claim.activity_kind,
            Claim.borough,
            month,
            Claim.status,
            late,
            groups.c.ethnic_group,
            func.count(),
            pence(Payment.amount),
            pence(case((Payment.id.is_not(None), Claim.expenses_amount))),
        )
        .select_from(Claim)
        .outerjoin(Payment, Payment.claim_id == Claim.id)
        .outerjoin(groups, groups.c.email == Claim.claimant_email)
        .where(in_period(period))
        .group_by(Claim.activity_kind, Claim.borough, month, Claim.status, late, groups.c.ethnic_group)
    )
    return [
        Cell(k, b, m, s, bool(lt), eg, int(n), int(p), int(e))
        for k, b, m, s, lt, eg, n, p, e in conn.execute(stmt)
    ]


def people_involved(conn: Connection, period: Period, by: str | None = None) -> dict[str | None, int]:
    """Distinct claimants with at least one approved or paid claim; by a claim column if given."""
    people = func.count(func.distinct(Claim.claimant_email))
    where = (in_period(period), Claim.status.in_(APPROVED))
    if by is None:
        return {None: int(conn.execute(select(people).where(*where)).scalar_one())}
    col = getattr(Claim, by)
    return {k: int(n) for k, n in conn.execute(select(col, people).where(*where).group_by(col))}


def _seconds(conn: Connection):
    """Whole seconds from submitted to paid (integers, so percentiles are exact on every database)."""
    if conn.dialect.name == "sqlite":
        span = (func.julianday(Claim.paid_at) - func.julianday(Claim.submitted_at)) * 86400
    else:
        span = extract("epoch", Claim.paid_at - Claim.submitted_at)
    return cast(func.round(span), BigInteger)


def percentile_position(p: Decimal, n: int) -> tuple[int, Decimal]:
    """(0-based rank below, fraction towards the next rank) of the p-th percentile of n sorted values."""
    pos = p * (n - 1)
    lo = int(pos)
    return lo, pos - lo


def turnaround(
    conn: Connection, period: Period, points: tuple[str, ...] = ("0.5", "0.9")
) -> tuple[int, list]:
    """(paid claims, [days at each percentile]) from submitted to paid; linear interpolation
    between the two nearest ranks, like PostgreSQL's percentile_cont. One sort in the database
    (a window query); only the two values around each percentile come back."""
    seconds = _seconds(conn).label("s")
    ranked = (
        select(seconds, func.row_number().over(order_by=seconds).label("rn"), func.count().over().label("n"))
        .where(in_period(period), Claim.status == "paid", Claim.paid_at.is_not(None))
        .subquery()
    )
    wanted = []
    for p in points:
        num, den = Decimal(p).as_integer_ratio()
        below = (ranked.c.n - 1) * num // den  # the 0-based rank under the percentile, in integers
        wanted += [ranked.c.rn - 1 == below, ranked.c.rn - 1 == below + 1]
    rows = conn.execute(select(ranked.c.rn, ranked.c.n, ranked.c.s).where(or_(*wanted))).all()
    n = int(rows[0].n) if rows else 0
    at = {int(r.rn) - 1: Decimal(int(r.s)) for r in rows}
    values: list[Decimal | None] = []
    for p in points:
        if n == 0:
            values.append(None)
            continue
        lo, frac = percentile_position(Decimal(p), n)
        value = at[lo] + frac * (at.get(lo + 1, at[lo]) - at[lo])
        values.append(value / 86400)
    return n, values


def rejection_reasons(conn: Connection, period: Period, at_least: int) -> list[tuple[str, int]]:
    """Reasons given at least `at_least` times (one-off texts stay out: they may name someone)."""
    reason = func.trim(Claim.rejection_reason)
    stmt = (
        select(reason, func.count())
        .where(in_period(period), Claim.status == "rejected")
        .group_by(reason)
        .having(func.count() >= at_least)
        .order_by(func.count().desc(), reason)
        .limit(20)
    )
    return [(r or "", int(n)) for r, n in conn.execute(stmt)]


def claims_by_service(conn: Connection, period: Period, top: int = 12) -> list[tuple[str | None, int, int]]:
    """(service, claims, people involved) for the services with most claims."""
    service = func.nullif(func.trim(Claim.service), "")
    people = func.count(func.distinct(case((Claim.status.in_(APPROVED), Claim.claimant_email))))
    stmt = (
        select(service, func.count(), people)
        .where(in_period(period))
        .group_by(service)
        .order_by(func.count().desc(), service)
        .limit(top)
    )
    return [(s, int(n), int(p)) for s, n, p in conn.execute(stmt)]
