"""What a processing chunk reads (involve/services/processing.py): prebuilt Core statements for the
claims, their lines and their people as plain rows, the other claims of the same people, the claimant
locks on PostgreSQL, and what can be done for a chunk before it takes the write lock."""
from __future__ import annotations

from datetime import date, timedelta

from sqlalchemy import bindparam, select, text
from sqlalchemy.orm import Session

from involve.db import reader
from involve.domain.approval import ClaimFacts
from involve.services import payees
from models import Claim, ExpenseLine, Person


def week_of(day: date) -> tuple[date, date]:
    start = day - timedelta(days=day.weekday())
    return start, start + timedelta(days=6)


_CLAIMS, _LINES, _PEOPLE = Claim.__table__, ExpenseLine.__table__, Person.__table__
# Plain rows (attribute access like the ORM objects', nothing written through them): loading 25 claims
# and their lines as ORM objects cost more than deciding them (identity map, instance state per row).
# waiting to be processed: submitted and not set aside (a claim that could not be processed waits for a person)
WAITING = (_CLAIMS.c.status == "submitted", _CLAIMS.c.hold_reason.is_(None))
_SUBMITTED = select(_CLAIMS).where(*WAITING) \
    .order_by(_CLAIMS.c.id).limit(bindparam("limit")).with_for_update(skip_locked=True)
_LINES_OF = select(_LINES).where(_LINES.c.claim_id.in_(bindparam("ids", expanding=True))) \
    .order_by(_LINES.c.claim_id, _LINES.c.line_no)
_PEOPLE_BY_EMAIL = select(_PEOPLE.c.email, _PEOPLE.c.active, _PEOPLE.c.weekly_earnings_limit, _PEOPLE.c.language,
                          _PEOPLE.c.preferred_format).where(_PEOPLE.c.email.in_(bindparam("emails", expanding=True)))


_PEEK = select(_CLAIMS).where(*WAITING) \
    .order_by(_CLAIMS.c.id).limit(bindparam("limit"))


def _prepare(limit: int) -> dict:
    """Outside the write lock, the pure work on the claims the next chunk will most likely take, which
    depends on nothing but their own stored text: their addresses in canonical form (remembered by
    `involve.domain.emails` under the text itself; email-validator's parse is ~0.2 ms an address) and
    their payment details decrypted, by ciphertext. The chunk reads its claims again in its own
    transaction and takes a decrypted value only for the identical ciphertext, so a claim that changed
    or went meanwhile (withdrawn, taken by another worker) only makes some of this work wasted, never a
    decision different. Nothing here is written or kept after the chunk."""
    with reader() as session:
        rows = list(session.execute(_PEEK, {"limit": limit}))
    details = {}
    for c in rows:
        ClaimFacts.of(c)
        if c.bank_details_encrypted:
            try:
                details[c.bank_details_encrypted] = payees.claim_details(c)
            except Exception:  # noqa: BLE001 - left to the chunk, which sets that one claim aside with the reason
                pass
    return details


def _take_submitted(session: Session, limit: int) -> list:
    """Submitted claims not set aside (a claim that could not be processed waits for a person), as rows."""
    return list(session.execute(_SUBMITTED, {"limit": limit}))


def _one_worker_per_claimant(session: Session, emails: set[str]) -> None:
    """On PostgreSQL two workers may hold claims of the same person at once. A transaction-scoped
    advisory lock per claimant (taken in sorted order, so two batches cannot deadlock) makes the
    second wait for the first to commit, so overlaps and that week's fees see each other's claims.
    SQLite has one writer at a time already."""
    if session.get_bind().dialect.name == "postgresql" and emails:
        session.execute(text("SELECT count(pg_advisory_xact_lock(hashtext(k))) "
                             "FROM (SELECT k FROM unnest(CAST(:keys AS text[])) AS k ORDER BY k) AS s"),
                        {"keys": sorted(f"claimant:{e}" for e in emails)})


def _others(session: Session, emails: set[str], dates: set[date]) -> list:
    """Other live claims of the same people in the weeks concerned (for overlaps and weekly fees);
    a withdrawn claim, like a rejected one, is not live."""
    lo = min(week_of(d)[0] for d in dates)
    hi = max(week_of(d)[1] for d in dates)
    t = Claim.__table__.c  # only the columns the checks read, as plain rows (no ORM objects)
    stmt = select(t.id, t.claimant_email, t.activity_date, t.activity_start, t.activity_end, t.expenses_only,
                  t.fee_amount, t.status).where(t.claimant_email.in_(emails), t.activity_date.between(lo, hi),
                                                t.status.not_in(("rejected", "withdrawn")))
    return list(session.execute(stmt))
