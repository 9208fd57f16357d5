"""Row makers for the data generator: register people (with self-declared diversity answers; a
third active in two boroughs), payments, and recruitments with panels. Claims: `generate_claims`."""

from __future__ import annotations

import random
from datetime import date, datetime

from sqlalchemy import insert

from involve.domain.claim_schema import ACTIVITY_KINDS

# fmt: off
FIRST = ("Sam", "Amara", "Priya", "Tomasz", "Grace", "Mohammed", "Chloe", "Kwame", "Aisha", "Daniel",
         "Fatima", "Joseph", "Leila", "Ravi", "Siobhan", "Tunde", "Yusuf", "Zofia", "Ellen", "Marcus")
LAST = ("Okafor", "Patel", "Nowak", "Khan", "Smith", "Mensah", "Begum", "O'Connor", "Ahmed", "Jones",
        "Hussain", "Brown", "Adeyemi", "Singh", "Taylor", "Kowalski", "Ali", "Williams", "Osei", "Clarke")
MAPPED = ("barking_dagenham", "havering", "redbridge", "waltham_forest")
AGE_BANDS = (("16-24", 10), ("25-34", 18), ("35-44", 20), ("45-54", 20), ("55-64", 16), ("65-74", 8),
             ("75+", 3), (None, 5))
ETHNIC = (("white", 46), ("asian", 24), ("black", 17), ("mixed", 6), ("other", 3), (None, 4))
GENDER = (("female", 54), ("male", 41), ("non_binary", 2), (None, 3))
DISABILITY = (("yes", 38), ("no", 52), (None, 10))
LEARNING = ((True, 7), (False, 83), (None, 10))
KINDS = dict(zip(ACTIVITY_KINDS, (40, 10, 15, 10, 10, 15, 4, 2, 2, 1, 2, 2), strict=True))
SERVICES = ("Community Recovery Team", "Home Treatment Team", "Inpatient wards", "Older Adults Mental Health",
            "Early Intervention in Psychosis", "Learning Disability Service", "Talking Therapies", None)
REASONS = (("The activity was not attended", 30), ("Duplicate claim", 25),
           ("Not an involvement activity", 15), ("Claimed after the deadline without a reason", 15),
           (None, 15))
# fmt: on


def pick(rng: random.Random, weighted):
    values, weights = zip(*weighted, strict=True)
    return rng.choices(values, weights)[0]


def people(rng: random.Random, n: int, first_id: int, now: datetime) -> tuple[list[dict], list[tuple]]:
    """(register rows, the boroughs each person is active in: a third are active in two)."""
    out, areas = [], []
    for i in range(n):
        pid = first_id + i
        first, last = rng.choice(FIRST), rng.choice(LAST)
        home = rng.choice(MAPPED)
        out.append(
            {
                "id": pid,
                "email": f"{first}.{last}.{pid}@example.org".lower().replace("'", ""),
                "name": f"{first} {last}",
                "borough": home,
                "active": True,
                "weekly_earnings_limit": None,
                "recruitment_consent": rng.random() < 0.4,
                "panel_trained_on": None,
                "unavailable": [],
                "conflicts": [],
                "age_band": pick(rng, AGE_BANDS),
                "ethnic_group": pick(rng, ETHNIC),
                "gender": pick(rng, GENDER),
                "disability": pick(rng, DISABILITY),
                "learning_disability": pick(rng, LEARNING),
                "carer": rng.random() < 0.15,
                "created_at": now,
                "anonymised_at": None,
            }
        )
        areas.append((home, rng.choice(MAPPED)) if rng.random() < 0.3 else (home,))
    return out, areas


def payment(claim: dict, pid: int) -> dict:
    amount = claim["expenses_amount"] if claim["expenses_only"] else claim["total_amount"]
    return {
        "id": pid,
        "claim_id": claim["id"],
        "amount": amount,
        "payment_ref": f"BACS-{claim['id']}",
        "recorded_by": "finance@example.nhs.uk",
        "recorded_at": claim["paid_at"],
        "details": None,
    }


def insert_recruitments(
    conn, rng: random.Random, register: list[dict], first: date, last: date, n: int
) -> int:
    """Recruitments with panel members (some attended), when the recruitment models exist."""
    from involve.reports.generate_recruitment import recruitment_rows

    for table, batch in recruitment_rows(conn, rng, register, first, last, n):
        if batch:
            conn.execute(insert(table), batch)
    return n
