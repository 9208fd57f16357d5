"""A canonical claim sent again under a new delivery id (a new `webhook-id`, same `submission_id`)
is the same claim, not a second one: intake looks up what was stored for (source, submission_id)."""
from __future__ import annotations

from sqlalchemy import bindparam, select
from sqlalchemy.orm import Session

from involve.domain.claim_schema import ClaimIn
from models import Claim

_CLAIMS = Claim.__table__
_c = _CLAIMS.c
# built once: intake's group commit runs it for every batch
_EARLIER = (select(_c.submission_id, _c.reference, _c.claimant_email, _c.activity_date, _c.activity_start)
            .where(_c.source == bindparam("source"), _c.submission_id.in_(bindparam("sids", expanding=True)))
            .order_by(_c.id))


def slot(claim: ClaimIn) -> tuple:
    """What makes a re-sent submission the same claim: the same person, day and start time."""
    return claim.claimant.email, claim.activity.date, claim.activity.start


def earlier_submissions(session: Session, pairs: set[tuple[str, str]]) -> dict[tuple, str]:
    """(source, submission_id, email, date, start) -> reference of the claim already stored for it:
    a canonical claim sent again under a new delivery id is the same claim, not a second one."""
    out: dict[tuple, str] = {}
    for source in {src for src, _ in pairs}:
        sids = sorted({sid for src, sid in pairs if src == source})
        for r in session.execute(_EARLIER, {"source": source, "sids": sids}):
            out.setdefault((source, r.submission_id, r.claimant_email, r.activity_date, r.activity_start),
                           r.reference)
    return out
