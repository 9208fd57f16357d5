"""Independent figures for the report tests: raw SQL (`text()`) and plain Python, written apart from
`involve.reports`, so that a mistake there shows up as a difference here.

Longer than ~300 lines on purpose: one independent expectation per report figure, side by side,
so a reviewer compares it with involve/reports line by line.

`expected(conn, year)` returns {(metric, breakdown): value} for every row the annual report's CSV
must have, formatted as the CSV formats them.
"""

from __future__ import annotations

import json
import tomllib
from collections import Counter
from datetime import date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

from sqlalchemy import text

from tests.integration.report_expect_programme import programme

KINDS = ("meeting", "interview_panel", "consultation", "training_delivery", "training_received", "other",
         "forum_meeting", "ward_visit", "survey", "cpa_audit", "staff_training", "governance")
BOROUGHS = ("barking_dagenham", "havering", "redbridge", "waltham_forest", "trust_wide")
MAPPED = BOROUGHS[:4]
STAFF = (
    "senior_manager",
    "clinician",
    "social_worker",
    "cpn",
    "nurse",
    "occupational_therapist",
    "psychologist",
    "psychotherapist",
    "other",
)
ETHNIC = ("asian", "black", "mixed", "white", "other")
BASELINE = Path(__file__).resolve().parents[2] / "involve" / "data" / "population-baseline.toml"
YEAR_SQL = "c.activity_date >= :lo AND c.activity_date < :hi"
APPROVED_SQL = "c.status IN ('approved', 'paid')"


def q(conn, sql: str, **params) -> list:
    return conn.execute(text(sql), params).all()


def pct(a: int, b: int) -> str:
    return "n/a" if not b else str((Decimal(a) * 100 / Decimal(b)).quantize(Decimal("0.1"), ROUND_HALF_UP))


def small(n: int) -> str:
    return "<5" if n < 5 else str(n)


def small_pct(a: int, b: int) -> str:
    return "<5" if a < 5 or b < 5 else pct(a, b)


def pounds(v) -> Decimal:
    return Decimal(str(v)).quantize(Decimal("0.01"))


def when(v) -> datetime:
    return datetime.fromisoformat(v) if isinstance(v, str) else v.replace(tzinfo=None)


class Expect:
    def __init__(self) -> None:
        self.rows: dict[tuple[str, str], str] = {}

    def put(self, metric: str, value, by: str | None = None, key=None) -> None:
        self.rows[(metric, "" if by is None else f"{by}:{key}")] = str(value)

    def counts(self, conn, metric: str, where: str, dims: dict, **p) -> None:
        """COUNT(*) of the year's claims matching `where`, total and GROUP BY each dimension."""
        self.put(metric, q(conn, f"SELECT COUNT(*) FROM claims c WHERE {YEAR_SQL} AND {where}", **p)[0][0])
        for by, (expr, keys) in dims.items():
            got = dict(
                q(
                    conn,
                    f"SELECT {expr}, COUNT(*) FROM claims c WHERE {YEAR_SQL} AND {where} GROUP BY {expr}",
                    **p,
                )
            )
            for key in keys:
                self.put(metric, got.get(key, 0), by, key)


def expected(conn, year: int) -> dict[tuple[str, str], str]:
    lo, hi = date(year, 4, 1), date(year + 1, 4, 1)
    p = {"lo": lo, "hi": hi}
    e = Expect()
    e.put("period_start", lo.isoformat())
    e.put("period_end", (hi - timedelta(days=1)).isoformat())
    months = [f"{year + (m < 4)}-{m:02d}" for m in (4, 5, 6, 7, 8, 9, 10, 11, 12, 1, 2, 3)]
    month_expr = "substr(CAST(c.activity_date AS TEXT), 1, 7)"
    kb = {"activity_kind": ("c.activity_kind", KINDS), "borough": ("c.borough", BOROUGHS)}
    e.counts(conn, "claims_submitted", "1 = 1", {**kb, "month": (month_expr, months)}, **p)
    e.counts(conn, "claims_approved", APPROVED_SQL, kb, **p)
    e.counts(conn, "claims_rejected", "c.status = 'rejected'", kb, **p)
    e.counts(conn, "claims_paid", "c.status = 'paid'", kb, **p)
    e.counts(conn, "claims_open", "c.status NOT IN ('approved', 'paid', 'rejected', 'withdrawn')", {}, **p)
    late: Counter = Counter()
    for flags, kind, borough in q(
        conn, f"SELECT CAST(c.flags AS TEXT), c.activity_kind, c.borough FROM claims c WHERE {YEAR_SQL}", **p
    ):
        if "late" in json.loads(flags):
            late.update([None, ("activity_kind", kind), ("borough", borough)])
    e.put("late_claims", late[None])
    for by, (_, keys) in kb.items():
        for key in keys:
            e.put("late_claims", late[(by, key)], by, key)
    _money(conn, e, p, kb, months)
    _people(conn, e, p, year)
    _turnaround(conn, e, p)
    _rejections_and_services(conn, e, p)
    _interviews(conn, e, p)
    _diversity(conn, e, p)
    programme(conn, e, p)
    seq, head = q(conn, "SELECT seq, hash FROM audit_head WHERE id = 1")[0]
    e.put("audit_chain_head_seq", seq)
    e.put("audit_chain_head_hash", head)
    return e.rows


def _money(conn, e: Expect, p: dict, kb: dict, months: list[str]) -> None:
    totals = {m: Counter() for m in ("fee_paid_total", "expenses_paid_total", "paid_total")}
    for kind, borough, month, only, fee, expenses, paid in q(
        conn,
        f"SELECT c.activity_kind, c.borough, substr(CAST(c.activity_date AS TEXT), 1, 7), c.expenses_only, "
        f"c.fee_amount, c.expenses_amount, pay.amount FROM claims c JOIN payments pay ON pay.claim_id = c.id "
        f"WHERE {YEAR_SQL} AND c.status = 'paid'",
        **p,
    ):
        fee_paid = Decimal("0.00") if only else pounds(fee)
        assert fee_paid + pounds(expenses) == pounds(paid), "a payment is the claim's payable amount"
        for key in (None, ("activity_kind", kind), ("borough", borough), ("month", month)):
            totals["fee_paid_total"][key] += fee_paid
            totals["expenses_paid_total"][key] += pounds(expenses)
            totals["paid_total"][key] += pounds(paid)
    for metric, c in totals.items():
        e.put(metric, f"{c[None]:.2f}")
        dims = dict(kb, month=(None, months)) if metric == "paid_total" else kb
        for by, (_, keys) in dims.items():
            for key in keys:
                e.put(metric, f"{c[(by, key)]:.2f}", by, key)


def _people(conn, e: Expect, p: dict, year: int) -> None:
    sql = f"FROM claims c WHERE {YEAR_SQL} AND {APPROVED_SQL}"
    total = q(conn, f"SELECT COUNT(DISTINCT c.claimant_email) {sql}", **p)[0][0]
    e.put("people_involved", total)
    for col, keys in (("borough", BOROUGHS), ("activity_kind", KINDS)):
        got = dict(q(conn, f"SELECT c.{col}, COUNT(DISTINCT c.claimant_email) {sql} GROUP BY c.{col}", **p))
        for key in keys:
            e.put("people_involved", got.get(key, 0), col, key)
    roles = Counter(
        "carer" if carer else "service_user"
        for (carer,) in q(
            conn,
            f"SELECT p.carer FROM (SELECT DISTINCT c.claimant_email AS email {sql}) i "
            f"LEFT JOIN people p ON p.email = i.email",
            **p,
        )
    )
    for role in ("carer", "service_user"):
        e.put("people_involved", roles[role], "role", role)
    prev = q(conn, f"SELECT COUNT(DISTINCT c.claimant_email) {sql}", lo=date(year - 1, 4, 1), hi=p["lo"])[0][
        0
    ]
    e.put("people_involved_previous_year", prev)
    e.put("people_involved_change", f"{total - prev:+d}" if total != prev else "0")
    change = pct(total - prev, prev)
    e.put(
        "people_involved_change_percent",
        change if change in ("n/a", "0.0") or change.startswith("-") else f"+{change}",
    )


def _turnaround(conn, e: Expect, p: dict) -> None:
    spans = sorted(
        round((when(paid) - when(sub)).total_seconds())
        for sub, paid in q(
            conn,
            f"SELECT c.submitted_at, c.paid_at FROM claims c WHERE {YEAR_SQL} AND c.status = 'paid' "
            f"AND c.paid_at IS NOT NULL",
            **p,
        )
    )
    e.put("turnaround_paid_claims", len(spans))
    for metric, point in (("turnaround_median_days", "0.5"), ("turnaround_p90_days", "0.9")):
        if not spans:
            e.put(metric, "n/a")
            continue
        pos = Decimal(point) * (len(spans) - 1)
        i = int(pos)
        nxt = spans[min(i + 1, len(spans) - 1)]
        seconds = spans[i] + (pos - i) * (nxt - spans[i])
        e.put(metric, (seconds / 86400).quantize(Decimal("0.1"), ROUND_HALF_UP))


def _rejections_and_services(conn, e: Expect, p: dict) -> None:
    rejected = q(
        conn,
        f"SELECT TRIM(c.rejection_reason), COUNT(*) FROM claims c WHERE {YEAR_SQL} "
        f"AND c.status = 'rejected' GROUP BY TRIM(c.rejection_reason)",
        **p,
    )
    shown = {r: n for r, n in rejected if n >= 5}
    for reason, n in shown.items():
        e.put("rejection_reason", n, "reason", reason)
    e.put("rejection_reason", sum(n for _, n in rejected) - sum(shown.values()), "reason", "(other reasons)")
    claims = dict(
        q(
            conn,
            f"SELECT NULLIF(TRIM(c.service), ''), COUNT(*) FROM claims c WHERE {YEAR_SQL} "
            f"GROUP BY NULLIF(TRIM(c.service), '')",
            **p,
        )
    )
    people = dict(
        q(
            conn,
            f"SELECT NULLIF(TRIM(c.service), ''), COUNT(DISTINCT c.claimant_email) FROM claims c "
            f"WHERE {YEAR_SQL} AND {APPROVED_SQL} GROUP BY NULLIF(TRIM(c.service), '')",
            **p,
        )
    )
    assert len(claims) <= 12, "the test data has few enough services for all to be listed"
    for service, n in claims.items():
        e.put("claims_by_service", n, "service", service or "(not given)")
        e.put("people_by_service", people.get(service, 0), "service", service or "(not given)")
    e.put("claims_by_service", 0, "service", "(other services)")


def _interviews(conn, e: Expect, p: dict) -> None:
    found = q(
        conn,
        "SELECT r.staff_group, r.borough FROM recruitments r WHERE r.interview_date >= :lo "
        "AND r.interview_date < :hi AND EXISTS (SELECT 1 FROM panel_members m "
        "WHERE m.recruitment_id = r.id AND m.status = 'attended')",
        **p,
    )
    e.put("interviews_with_involvement", len(found))
    for by, i, keys in (("staff_group", 0, STAFF), ("borough", 1, BOROUGHS)):
        c = Counter(row[i] for row in found)
        for key in keys:
            e.put("interviews_with_involvement", c[key], by, key)


def _answers(row) -> dict:
    age, ethnic, gender, disability, ld = row
    return {
        "ethnic_group": ethnic or "not_stated",
        "age_band": age or "not_stated",
        "gender": gender or "not_stated",
        "disability": disability or "not_stated",
        "learning_disability": "not_stated" if ld is None else ("yes" if ld else "no"),
    }


MEASURES = {  # (in the measure, answered the question), on the generator's canonical answers
    "older_people": lambda a: (a["age_band"] in ("65-74", "75+"), a["age_band"] != "not_stated"),
    "young_people": lambda a: (a["age_band"] == "16-24", a["age_band"] != "not_stated"),
    "women": lambda a: (a["gender"] == "female", a["gender"] != "not_stated"),
    "bme": lambda a: (
        a["ethnic_group"] in ("asian", "black", "mixed", "other"),
        a["ethnic_group"] != "not_stated",
    ),
    "learning_disability": lambda a: (
        a["learning_disability"] == "yes",
        a["learning_disability"] != "not_stated",
    ),
}


def _diversity(conn, e: Expect, p: dict) -> None:
    fields = "p.age_band, p.ethnic_group, p.gender, p.disability, p.learning_disability"
    everyone = [
        _answers(r)
        for r in q(
            conn,
            f"SELECT {fields} FROM (SELECT DISTINCT c.claimant_email AS email FROM claims c WHERE {YEAR_SQL} "
            f"AND {APPROVED_SQL}) i LEFT JOIN people p ON p.email = i.email",
            **p,
        )
    ]
    by_borough = [
        (r[0], _answers(r[1:]))
        for r in q(
            conn,
            f"SELECT i.borough, {fields} FROM (SELECT DISTINCT c.claimant_email AS email, "
            f"c.borough AS borough FROM claims c WHERE {YEAR_SQL} AND {APPROVED_SQL}) i "
            f"LEFT JOIN people p ON p.email = i.email",
            **p,
        )
    ]
    for field in ("ethnic_group", "age_band", "gender", "disability", "learning_disability"):
        for key, n in Counter(a[field] for a in everyone).items():
            e.put("profile_people", small(n), field, key)
    baseline = tomllib.loads(BASELINE.read_text())
    for measure, rule in MEASURES.items():
        for area in (None, *MAPPED):
            people = everyone if area is None else [a for b, a in by_borough if b == area]
            inside = sum(1 for a in people if rule(a)[0] and rule(a)[1])
            answered = sum(1 for a in people if rule(a)[1])
            by = None if area is None else "borough"
            e.put(f"involved_count_{measure}", small(inside), by, area)
            e.put(f"involved_percent_{measure}", small_pct(inside, answered), by, area)
    for fig in baseline["figures"]:
        e.put(f"population_percent_{fig['measure']}", fig["percent"], "borough", fig["borough"])
    decided: dict[str, Counter] = {}
    for ethnic, status, n in q(
        conn,
        f"SELECT p.ethnic_group, c.status, COUNT(*) FROM claims c LEFT JOIN people p "
        f"ON p.email = c.claimant_email WHERE {YEAR_SQL} AND c.status IN "
        f"('approved', 'paid', 'rejected') GROUP BY p.ethnic_group, c.status",
        **p,
    ):
        decided.setdefault(ethnic or "not_stated", Counter())[status] += n
    for group in (*ETHNIC, "not_stated"):
        c = decided.get(group, Counter())
        total, rejected = sum(c.values()), c["rejected"]
        e.put("decided_claims", small(total), "ethnic_group", group)
        e.put("approval_rate_percent", small_pct(total - rejected, total), "ethnic_group", group)
        e.put("rejection_rate_percent", small_pct(rejected, total), "ethnic_group", group)
