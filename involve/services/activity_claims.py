"""Claims that involvement work creates for a person: `interview_panel` on the interview day and
`training_received` after panel training. Pre-filled from what the system knows, built through
the canonical claim schema and stored by intake as `submitted`, so they follow the normal claims
flow (amounts, flags, approval, payment) and the person can add expenses with a claim of their own.
"""
from __future__ import annotations

from datetime import date

from sqlalchemy.orm import Session

from involve.domain.claim_schema import BOROUGHS, parse_claim
from involve.services.intake import check_policy_covers, store_claim
from models import Person


def create_activity_claim(session: Session, *, person: Person, kind: str, title: str, day: date, start: str,
                          end: str, borough: str | None, service: str | None, lead_email: str | None,
                          reference: str, source: str, actor: str) -> str:
    """Store a fee claim for `person` in the caller's transaction; returns its CLM- reference.
    Raises InvalidClaim when the activity cannot be claimed (a future date, no policy period)."""
    claim = parse_claim({
        "claimant": {"name": person.name, "email": person.email},
        "activity": {"kind": kind, "title": title[:300], "date": day.isoformat(), "start": start, "end": end,
                     "borough": borough if borough in BOROUGHS else "trust_wide", "service": service,
                     "lead_email": lead_email, "reference": reference},
        "fee": {"claimed": True},
        "declaration": True,
    })
    check_policy_covers(claim)
    return store_claim(session, claim, source=source, actor=actor)
