"""Questions about a claim: staff ask (`claims ask`, the claim page), the person answers through their
`Reply:` link (an answer, perhaps a changed cost and receipts), and the claim goes back to the
approver. Each step is one transaction with its audit record and emails."""
from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session

from involve import audit, links
from involve.db import unit_of_work
from involve.domain import amounts as amt
from involve.domain.approval import ClaimFacts, approvers_for
from involve.domain.policy import load_policy
from involve.domain.transitions import next_status
from involve.errors import InvolveError, NotAllowed, NotFound
from involve.mail.outbox import email_row, enqueue
from involve.services import receipts
from involve.services.claims import lock_claim
from involve.services.people import check, staff_roles
from involve.services.processing import _minutes, claim_summary
from models import Claim, ClaimQuestion

MAX_TEXT = 2000
REPLY_DAYS = 30


def _text(value: str | None, what: str) -> str:
    value = (value or "").strip()
    if not value:
        raise InvolveError(f"{what} is required")
    if len(value) > MAX_TEXT:
        raise InvolveError(f"{what} must be {MAX_TEXT} characters or fewer")
    return value


def ask(reference: str, *, by: str, question: str) -> Claim:
    """Ask the claimant a question: the claim waits in `needs_information` for their reply."""
    question = _text(question, "a question")
    with unit_of_work() as session:
        claim = lock_claim(session, reference)
        by, action = check(session, "ask", claim, by)
        to_status = next_status(action, claim.status, reference=claim.reference)
        from_status, claim.status = claim.status, to_status
        row = ClaimQuestion(claim_id=claim.id, asked_by=by, question=question, from_status=from_status)
        session.add(row)
        session.flush()
        audit.record(session, [audit.Change("claim", claim.reference, "ask", by, from_status, to_status,
                                            reason=question)])
        url = links.issue(session, action="reply", reference=claim.reference, holder=claim.claimant_email,
                          data={"question": row.id}, days=REPLY_DAYS)
        ctx = dict(claim_summary(claim), question=question, reply_url=url, reply_days=REPLY_DAYS,
                   lines=expense_lines(claim))
        enqueue(session, [email_row(template="claim_question", to=claim.claimant_email, reference=claim.reference,
                                    context=ctx, dedupe_key=f"{claim.reference}:question:{row.id}",
                                    language=claim.claimant_language, reading_format=claim.claimant_format)])
        return claim


def open_question(session: Session, claim: Claim) -> ClaimQuestion | None:
    return session.execute(select(ClaimQuestion).where(ClaimQuestion.claim_id == claim.id,
                                                       ClaimQuestion.answered_at.is_(None))
                           .order_by(ClaimQuestion.id.desc())).scalars().first()


def expense_lines(claim: Claim) -> list[dict]:
    return [{"id": x.id, "kind": x.kind, "vehicle": x.vehicle, "claimed_amount": _m(x.claimed_amount),
             "miles": None if x.miles is None else str(x.miles), "amount": _m(x.amount),
             "description": x.description} for x in claim.expenses]


def _m(v: Decimal | None) -> str | None:
    return None if v is None else f"{v:.2f}"


def reply(signed_link: str | None = None, *, answer: str, amounts: dict[int, Decimal] | None = None,
          uploads: dict[int, list[receipts.Upload]] | None = None, reference: str | None = None,
          claimant: str | None = None) -> Claim:
    """The person's answer, through their `Reply:` link (`signed_link`, used up) or signed in to "Your
    claims" (`reference` + `claimant`): record it, apply a changed cost and any receipts, send the claim
    back to awaiting approval and tell whoever asked (and the approvers)."""
    answer = _text(answer, "an answer")
    uploads = {k: v for k, v in (uploads or {}).items() if v}
    checked = None
    if uploads:
        flat = [(i, u) for i, ups in uploads.items() for u in ups]
        good = receipts.checked([u for _, u in flat])
        checked = {}
        for (i, _), f in zip(flat, good, strict=True):
            checked.setdefault(i, []).append(f)
    with unit_of_work() as session:
        signed = None
        if signed_link is not None:
            signed = links.load(session, signed_link, for_update=True)
            if signed.action != "reply":
                raise NotAllowed("this link is for a different action")
            reference, claimant = signed.reference, signed.holder_email
        claim = lock_claim(session, reference or "")
        if claimant != claim.claimant_email:
            raise NotFound(f"no claim with reference {reference} for you")
        to_status = next_status("reply", claim.status, reference=claim.reference)
        question = open_question(session, claim)
        changed = _change_costs(session, claim, amounts or {})
        if checked:
            receipts.add_claim_receipts(session, claim, {}, by=claim.claimant_email, checked_files=checked)
        now = datetime.now(UTC)
        if question is not None:
            question.answer, question.answered_at = answer, now
        from_status, claim.status = claim.status, to_status
        claim.approved_by = None  # any first approval given before the question starts again
        if signed is not None:
            links.use(signed)
        audit.record(session, [audit.Change("claim", claim.reference, "reply", claim.claimant_email, from_status,
                                            to_status, reason=answer, data={"costs_changed": changed})])
        session.flush()
        summary = claim_summary(claim)
        asked_by = question.asked_by if question else None
        to = sorted(set(approvers_for(ClaimFacts.of(claim), staff_roles(session))[0]) | ({asked_by} - {None}))
        mails = []
        for who in to:
            ctx = dict(summary, approver=who, answer=answer, question=question.question if question else "",
                       costs_changed=changed, lines=expense_lines(claim),
                       approve_url=links.issue(session, action="approve", reference=claim.reference, holder=who),
                       reject_url=links.issue(session, action="reject", reference=claim.reference, holder=who))
            mails.append(email_row(template="claim_answered", to=who, reference=claim.reference, context=ctx,
                                   dedupe_key=f"{claim.reference}:answered:{question.id if question else 0}:{who}"))
        enqueue(session, mails)
        return claim


def _change_costs(session: Session, claim: Claim, amounts: dict[int, Decimal]) -> list[str]:
    """Apply changed amounts to the claim's own cost lines; amounts are worked out again by the policy."""
    lines = {x.id: x for x in claim.expenses}
    changed = []
    for line_id, value in amounts.items():
        line = lines.get(line_id)
        if line is None:
            raise NotAllowed("that cost is not part of this claim")
        if line.kind == "mileage" or value == line.claimed_amount:
            continue
        if value <= 0 or value > Decimal("500.00"):
            raise InvolveError("each cost must be more than £0 and at most £500")
        changed.append(f"{line.kind}: {_m(line.claimed_amount)} -> {_m(value)}")
        line.claimed_amount = value
    if changed:
        period = load_policy().period_for(claim.activity_date)
        result = amt.compute(kind=claim.activity_kind, minutes=_minutes(claim.activity_start, claim.activity_end),
                             fee_claimed=claim.fee_claimed, period=period, fee_requested=claim.fee_requested,
                             lines=[amt.LineIn(x.kind, x.claimed_amount, x.miles, x.passengers, x.vehicle,
                                               x.receipt) for x in claim.expenses])
        for x, a in zip(claim.expenses, result.lines, strict=True):
            x.amount = a
        claim.fee_amount, claim.expenses_amount, claim.total_amount = result.fee, result.expenses, result.total
        receipts._refresh_flag(session, claim)
    return changed
