"""A canonical claim sent again under a new delivery id (a new `webhook-id`, same `submission_id`)
is the same claim, not a second one: intake looks up what was stored for (source, submission_id)."""
from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from involve.domain.claim_schema import ClaimIn
from models import Claim

_CLAIMS = Claim.__table__


def slot(claim: ClaimIn) -> tuple:
    """What makes a re-sent submission the same claim: the same person, day and start time."""
    return claim.claimant.email, claim.activity.date, claim.activity.start


def earlier_submissions(session: Session, pairs: set[tuple[str, str]]) -> dict[tuple, str]:
    """(source, submission_id, email, date, start) -> reference of the claim already stored for it:
    a canonical claim sent again under a new delivery id is the same claim, not a second one."""
    out: dict[tuple, str] = {}
    c = _CLAIMS.c
    for source in {src for src, _ in pairs}:
        sids = sorted({sid for src, sid in pairs if src == source})
        stmt = (select(c.submission_id, c.reference, c.claimant_email, c.activity_date, c.activity_start)
                .where(c.source == source, c.submission_id.in_(sids)).order_by(c.id))
        for r in session.execute(stmt):
            out.setdefault((source, r.submission_id, r.claimant_email, r.activity_date, r.activity_start),
                           r.reference)
    return out
