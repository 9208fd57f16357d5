"""Claims that involvement work creates for a person: `interview_panel` on the interview day and
`training_received` after panel training.

The system fills in what it knows (the activity; the fee claimed) and stores the claim as
`awaiting_confirmation`, with signed `Confirm:` and `Withdraw:` links for the person's thank-you
email. Nothing is declared for them. On the Confirm page they keep or decline the fee, add their
costs, say how to be paid and tick the declaration; `confirm` checks the whole canonical claim and
moves it to `submitted`, where the claims flow takes over (amounts, flags, approval, payment). A
co-ordinator can take the confirmation by phone (`involve claims confirm`); the person, or a
co-ordinator for them, can `withdraw` it instead.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime

from sqlalchemy import delete, insert, select
from sqlalchemy.orm import Session

from involve import audit, links
from involve.db import unit_of_work
from involve.domain.claim_schema import BOROUGHS, parse_claim
from involve.domain.emails import same_address
from involve.domain.transitions import next_status
from involve.errors import NotAllowed
from involve.services.claims import lock_claim
from involve.services.intake import check_policy_covers, claim_row, expense_rows, store_claim
from involve.services.people import normalise_email, require_staff
from models import Claim, ExpenseLine, LinkToken, Person

LINK_DAYS = 60  # the person has this long to confirm through their link
CONFIRM, WITHDRAW = "confirm_claim", "withdraw_claim"  # link actions (involve/web/claim_confirm.py)
ANSWERS = ("fee", "expenses", "payment", "declaration")  # the person's part of the canonical claim
BY_PHONE = {"confirm": "confirmed by phone", "withdraw": "withdrawn by phone"}  # the audit reason


@dataclass(frozen=True)
class PreparedClaim:
    reference: str
    confirm_url: str
    withdraw_url: str


def create_activity_claim(session: Session, *, person: Person, kind: str, title: str, day: date, start: str,
                          end: str, borough: str | None, service: str | None, lead_email: str | None,
                          reference: str, source: str, actor: str) -> PreparedClaim:
    """Store a pre-filled claim for `person` (awaiting_confirmation, fee claimed) in the caller's
    transaction, with its audit record and the person's Confirm/Withdraw links (the caller puts
    them in its email). Raises InvalidClaim when the activity cannot be claimed (a future date,
    no policy period)."""
    claim = parse_claim({
        "claimant": {"name": person.name, "email": person.email,
                     **({"language": person.language} if person.language else {})},
        "activity": {"kind": kind, "title": title[:300], "date": day.isoformat(), "start": start, "end": end,
                     "borough": borough if borough in BOROUGHS else "trust_wide", "service": service,
                     "lead_email": lead_email, "reference": reference},
        "fee": {"claimed": True},
        "declaration": False,
    }, prepared=True)
    check_policy_covers(claim)
    ref = store_claim(session, claim, source=source, actor=actor, action="prepare")
    return PreparedClaim(ref, *(links.issue(session, action=a, reference=ref, holder=person.email, days=LINK_DAYS)
                                for a in (CONFIRM, WITHDRAW)))


def prefilled(c: Claim) -> dict:
    """The system's part of the canonical claim (claimant and activity), from the stored row."""
    activity = {"kind": c.activity_kind, "title": c.activity_title, "date": c.activity_date.isoformat(),
                "start": c.activity_start, "end": c.activity_end, "borough": c.borough}
    for key, value in (("service", c.service), ("lead_email", c.lead_email), ("reference", c.activity_reference)):
        if value:
            activity[key] = value
    return {"claimant": {"name": c.claimant_name, "email": c.claimant_email}, "activity": activity}


def _acting(session: Session, claim: Claim, by: str, link_token: str | None,
            verb: str) -> tuple[str, LinkToken | None, str | None]:
    """(actor, link token to use, audit reason): the claimant through their own link, or a
    co-ordinator who took their answer by phone."""
    by = normalise_email(by)
    if link_token is not None:
        token = links.load(session, link_token, for_update=True)
        allowed = (CONFIRM,) if verb == "confirm" else (CONFIRM, WITHDRAW)
        if token.action not in allowed or token.reference != claim.reference or \
                not same_address(token.holder_email, claim.claimant_email) or not same_address(by, token.holder_email):
            raise NotAllowed("this link is for a different claim")
        return by, token, None
    require_staff(session, by, "coordinator", doing=f"{verb} a claim for someone")
    if same_address(by, claim.claimant_email):
        raise NotAllowed(f"{by} cannot {verb} their own claim for themselves; it needs their link")
    return by, None, BY_PHONE[verb]


def _person(session: Session, email: str) -> str | None:
    pid = session.execute(select(Person.id).where(Person.email == email)).scalar_one_or_none()
    return f"PER-{pid}" if pid is not None else None


def confirm(reference: str, answers: dict, *, by: str, link_token: str | None = None) -> Claim:
    """The person confirms their prepared claim: `answers` holds their part of the canonical claim
    (`fee`, `expenses`, `payment`, `declaration`). One transaction: the whole claim is checked
    (InvalidClaim, nothing changed), then its expense lines and payment details are replaced, it
    moves to `submitted` (audited; no bank details in the record) and the link is used."""
    with unit_of_work() as session:
        claim = lock_claim(session, reference)
        by, token, reason = _acting(session, claim, by, link_token, "confirm")
        to_status = next_status("confirm", claim.status, reference=claim.reference)
        parsed = parse_claim({**prefilled(claim), **{k: answers[k] for k in ANSWERS if k in answers}})
        check_policy_covers(parsed)
        now = datetime.now(UTC)
        row = claim_row(parsed, reference=claim.reference, source=claim.source, now=now)
        session.execute(delete(ExpenseLine).where(ExpenseLine.claim_id == claim.id))
        if parsed.expenses:
            session.execute(insert(ExpenseLine.__table__), expense_rows(claim.id, parsed))
        session.expire(claim, ["expenses"])
        for key in ("fee_claimed", "payment_method", "bank_details_encrypted", "bank_details_masked"):
            setattr(claim, key, row[key])
        from_status, claim.status, claim.submitted_at = claim.status, to_status, now
        if token is not None:
            links.use(token)
        else:  # a co-ordinator keyed it by phone: they may not approve it (services/claims.approve)
            claim.keyed_by = by
        data = {"person": _person(session, claim.claimant_email), "fee_claimed": parsed.fee.claimed,
                "expense_lines": len(parsed.expenses), "payment_method": row["payment_method"]}
        audit.record(session, [audit.Change("claim", claim.reference, "confirm", by, from_status, to_status,
                                            reason=reason, data=data)])
        return claim


def withdraw(reference: str, *, by: str, link_token: str | None = None) -> Claim:
    """The person does not want to claim for this activity: `awaiting_confirmation` → `withdrawn`.
    No reason is asked for (it could be about their health)."""
    with unit_of_work() as session:
        claim = lock_claim(session, reference)
        by, token, reason = _acting(session, claim, by, link_token, "withdraw")
        to_status = next_status("withdraw", claim.status, reference=claim.reference)
        from_status, claim.status = claim.status, to_status
        if token is not None:
            links.use(token)
        audit.record(session, [audit.Change("claim", claim.reference, "withdraw", by, from_status, to_status,
                                            reason=reason,
                                            data={"person": _person(session, claim.claimant_email)})])
        return claim
