"""Generate realistic involvement data for tests and benchmarks: people in the register (with
self-declared diversity answers), claims across several financial years in every status, their
payments, recruitments with panels when the recruitment models exist, and the involvement programme
(action plan, forums, activities with attendance, support; `generate_programme`).

Rows go in with Core bulk inserts in chunks, in one transaction, with ids chosen up front (so
payments can point at claims without reading them back). Deterministic for a given seed.

    python -m involve.reports.generate --claims 100000      (or: involve dev generate --claims N)
"""

from __future__ import annotations

import argparse
import random
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time

from sqlalchemy import func, insert, select, text
from sqlalchemy.orm import Session

from involve import audit
from involve.db import get_engine
from involve.reports import generate_rows as rows
from involve.reports.generate_claims import ClaimMaker
from involve.reports.generate_programme import TABLES as PROGRAMME_TABLES
from involve.reports.generate_programme import insert_programme
from models import Claim, Payment, Person

CHUNK = 20_000


@dataclass(frozen=True)
class Generated:
    people: int
    claims: int
    payments: int
    recruitments: int
    activities: int = 0


def policy_starts() -> date:
    """The first day the policy in use (INVOLVE_POLICY_FILE) covers."""
    from involve.domain.policy import load_policy

    return load_policy().periods[0].effective_from


def _next_id(conn, column) -> int:
    return int(conn.execute(select(func.coalesce(func.max(column), 0))).scalar_one()) + 1


def generate(
    claims: int,
    *,
    seed: int = 1,
    people: int | None = None,
    first_year: int = 2023,
    today: date | None = None,
    url: str | None = None,
    progress: Callable[[int], None] = lambda _: None,
) -> Generated:
    """Insert `claims` claims (and their people, payments, recruitments); returns the counts. Every
    activity date is one the policy in use covers (from its first period on, whatever `first_year`
    says), so processing never meets a generated claim it cannot work out."""
    rng = random.Random(seed)
    today = today or date.today()
    first = max(date(first_year, 4, 1), policy_starts())
    if first > today:
        raise ValueError(f"the policy in use starts on {first}, after {today}: there is no day to generate")
    now = min(datetime.now(UTC), datetime.combine(today, time(18, 0), UTC))
    engine = get_engine(url)
    n_people = people or max(40, claims // 40)
    with engine.begin() as conn:
        person_id = _next_id(conn, Person.id)
        claim_id = _next_id(conn, Claim.id)
        payment_id = _next_id(conn, Payment.id)
        register, areas = rows.people(rng, n_people, person_id, now)
        for start in range(0, len(register), CHUNK):
            conn.execute(insert(Person.__table__), register[start : start + CHUNK])
        gen = ClaimMaker(rng, register, areas, first, today, now)
        paid_count = 0
        for start in range(0, claims, CHUNK):
            batch = [gen.claim(claim_id + i) for i in range(start, min(start + CHUNK, claims))]
            conn.execute(insert(Claim.__table__), batch)
            payments = [
                rows.payment(c, payment_id + paid_count + j)
                for j, c in enumerate(c for c in batch if c["status"] == "paid")
            ]
            if payments:
                conn.execute(insert(Payment.__table__), payments)
            paid_count += len(payments)
            progress(len(batch))
        recruitments = rows.insert_recruitments(
            conn, rng, register, first, today, max(1, claims // 400)
        )
        activities = insert_programme(conn, rng, register, date(first_year, 4, 1), today, max(20, claims // 25))
        if conn.dialect.name == "postgresql":
            for table in ("people", "claims", "payments", "recruitments", "panel_members", *PROGRAMME_TABLES):
                conn.execute(
                    text(
                        f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                        f"(SELECT COALESCE(MAX(id), 1) FROM {table}))"
                    )
                )
        audit.record(
            Session(bind=conn),
            [
                audit.Change(
                    "dev",
                    f"GEN-{seed}",
                    "generate",
                    data={
                        "people": n_people,
                        "claims": claims,
                        "payments": paid_count,
                        "recruitments": recruitments,
                        "activities": activities,
                    },
                )
            ],
        )
    return Generated(n_people, claims, paid_count, recruitments, activities)


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(description="Insert generated claims into INVOLVE_DATABASE_URL.")
    p.add_argument("--claims", type=int, required=True)
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--people", type=int, default=None)
    p.add_argument("--first-year", type=int, default=2023)
    a = p.parse_args(argv)
    from involve.migrate import ensure_current

    ensure_current()
    g = generate(a.claims, seed=a.seed, people=a.people, first_year=a.first_year)
    print(
        f"generated {g.claims} claims, {g.payments} payments, {g.people} people, "
        f"{g.recruitments} recruitments"
    )


if __name__ == "__main__":  # pragma: no cover
    main()
