"""Who was involved in a period, from one scan of its claims: the number of different people (in
all, by borough, by activity kind) and their self-declared profiles (of everyone, and per borough).

"Involved" means at least one approved or paid claim in the period; a person counts as a carer when
the register says so (`people.carer`), otherwise as a service user. The distinct (person, borough,
activity kind) triples are materialised once in a CTE; five small aggregates over it come back in
one UNION ALL, so a large claims table is read once rather than five times.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

from sqlalchemy import Connection, String, case, cast, func, literal, null, select, union_all

from involve.reports.queries import APPROVED, Period, in_period
from models import Claim, Person

ANSWERS = (Person.age_band, Person.ethnic_group, Person.gender, Person.disability, Person.learning_disability)


@dataclass(frozen=True)
class Involved:
    people: Counter  # {None: total, ("borough", b): n, ("activity_kind", k): n, ("role", carer|service_user): n}
    everyone: list[tuple]  # [(None, age_band, ethnic_group, gender, disability, learning_disability, people)]
    by_borough: list[tuple]  # the same, with the borough first


def involved(conn: Connection, period: Period) -> Involved:
    inv = (
        select(Claim.claimant_email.label("email"), Claim.borough, Claim.activity_kind.label("kind"))
        .where(in_period(period), Claim.status.in_(APPROVED))
        .distinct()
        .cte("involved")
        .prefix_with("MATERIALIZED")
    )
    people = func.count(func.distinct(inv.c.email))
    blank = [cast(null(), col.type) for col in ANSWERS]  # typed, so PostgreSQL can UNION them
    emails = select(inv.c.email).distinct().subquery("emails")
    pairs = select(inv.c.email, inv.c.borough).distinct().subquery("pairs")
    role = cast(case((Person.carer.is_(True), "carer"), else_="service_user"), String(40))  # not in register: user
    stmt = union_all(
        select(literal("total"), null(), *blank, people).select_from(inv),
        select(literal("borough"), inv.c.borough, *blank, people).group_by(inv.c.borough),
        select(literal("activity_kind"), inv.c.kind, *blank, people).group_by(inv.c.kind),
        select(literal("role"), role, *blank, func.count())
        .select_from(emails)
        .outerjoin(Person, Person.email == emails.c.email)
        .group_by(role),
        select(literal("profile"), null(), *ANSWERS, func.count())
        .select_from(emails)
        .outerjoin(Person, Person.email == emails.c.email)
        .group_by(*ANSWERS),
        select(literal("profile_borough"), pairs.c.borough, *ANSWERS, func.count())
        .select_from(pairs)
        .outerjoin(Person, Person.email == pairs.c.email)
        .group_by(pairs.c.borough, *ANSWERS),
    )
    counts: Counter = Counter()
    everyone, by_borough = [], []
    for dim, key, age, ethnic, gender, disability, ld, n in conn.execute(stmt):
        if dim == "total":
            counts[None] = int(n)
        elif dim in ("borough", "activity_kind", "role"):
            counts[(dim, key)] = int(n)
        else:
            row = (key, age, ethnic, gender, disability, None if ld is None else bool(ld), int(n))
            (everyone if dim == "profile" else by_borough).append(row)
    return Involved(counts, everyone, by_borough)
