"""Claim actions by people: approve, reject, pay one claim (payment runs: involve/services/payment_runs.py).

Each action is one transaction: lock the claim, check the person's role and the transition
table, change the status, write the audit record and queue the emails. Rules that hold across
the whole lifecycle live here and nowhere else: nobody approves their own claim, the second
approver is a different person, the approver does not record the payment, a claim is paid once.
"""
from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from involve import audit, clock, faults, links
from involve.db import unit_of_work
from involve.domain.approval import ClaimFacts, second_approvers
from involve.domain.claim_schema import LONDON
from involve.domain.emails import same_address
from involve.domain.payment_dates import add_working_days
from involve.domain.transitions import next_status
from involve.errors import AlreadyPaid, InvolveError, NotAllowed, NotFound, WrongState
from involve.mail.outbox import email_row, enqueue
from involve.services.people import check, preferences, staff_roles
from involve.services.processing import claim_summary
from involve.settings import settings
from involve.views.staff import away_today
from models import Claim, Payment


def lock_claim(session: Session, reference: str) -> Claim:
    stmt = select(Claim).where(Claim.reference == reference.strip().upper())
    stmt = stmt.with_for_update()
    claim = session.execute(stmt).scalar_one_or_none()
    if claim is None:
        raise NotFound(f"no claim with reference {reference}")
    return claim


def approve(reference: str, *, by: str, expenses_only: bool = False, note: str | None = None,
            link_token: str | None = None, amount: Decimal | None = None, reason: str | None = None) -> Claim:
    """Approve (or give the second approval). With `amount`: approve a lower total than claimed, with a
    `reason` the person is told."""
    reason = (reason or "").strip() or None
    if amount is not None and not reason:
        raise InvolveError("a reason is required to approve a lower amount; it is sent to the claimant")
    with unit_of_work() as session:
        claim = lock_claim(session, reference)
        by, action = check(session, "approve", claim, by)
        to_status = next_status(action, claim.status, reference=claim.reference)
        _use_link(session, link_token, claim.reference, "approve", by)
        if amount is not None:
            _lower_amount(claim, amount, reason, expenses_only)
        from_status = claim.status
        if action == "first_approve":
            claim.approved_by = by
            claim.expenses_only = expenses_only
        elif from_status == "awaiting_second_approval":
            claim.second_approved_by = by
            claim.expenses_only = claim.expenses_only or expenses_only
        else:
            claim.approved_by = by
            claim.expenses_only = expenses_only
        claim.approval_note = note or claim.approval_note
        claim.status = to_status
        claim.decided_at = datetime.now(UTC)
        data = {"expenses_only": claim.expenses_only}
        if claim.approved_amount is not None:
            data.update(amount=f"{claim.approved_amount:.2f}", amount_reason=claim.amount_reason)
        audit.record(session, [audit.Change("claim", claim.reference, action, by, from_status, to_status,
                                            reason=note or reason, data=data)])
        summary = claim_summary(claim)
        summary.update(expenses_only=claim.expenses_only, payable_amount=f"{claim.payable_amount:.2f}",
                       approved_by=claim.approved_by, second_approved_by=claim.second_approved_by,
                       amount_reason=claim.amount_reason, lowered=claim.approved_amount is not None,
                       expected_payment_date=expected_payment_date(claim.decided_at).isoformat(),
                       benefits_limit="benefits_limit" in (claim.flags or []))
        mails = []
        if to_status == "awaiting_second_approval":
            for who in second_approvers(ClaimFacts.of(claim), staff_roles(session),
                                         away_today(session, clock.now().date())):
                ctx = dict(summary, approver=who, second=True,
                           approve_url=links.issue(session, action="approve", reference=claim.reference, holder=who),
                           reject_url=links.issue(session, action="reject", reference=claim.reference, holder=who))
                mails.append(email_row(template="claim_approval", to=who, reference=claim.reference, context=ctx,
                                       dedupe_key=f"{claim.reference}:second-approval:{who}"))
        else:
            mails.append(email_row(template="claim_approved", to=settings.finance_email, reference=claim.reference,
                                   context=summary, dedupe_key=f"{claim.reference}:approved"))
            mails.append(email_row(template="claim_approved_claimant", to=claim.claimant_email,
                                   reference=claim.reference, context=summary,
                                   dedupe_key=f"{claim.reference}:approved-claimant",
                                   **preferences(session, claim)))
        enqueue(session, mails)
        faults.point("approve.before_commit")
    faults.point("approve.after_commit")
    return claim


def _lower_amount(claim: Claim, amount: Decimal, reason: str | None, expenses_only: bool) -> None:
    claimed = claim.expenses_amount if expenses_only else claim.total_amount
    if claimed is None:
        raise WrongState(f"{claim.reference} has not been worked out yet, so it cannot be approved for an amount")
    if amount <= 0:
        raise InvolveError("the amount must be more than £0.00; to pay nothing, reject the claim")
    if amount >= claimed:
        raise InvolveError(f"the amount must be lower than the £{claimed:.2f} claimed; "
                           "to approve the full amount, leave out --amount")
    claim.approved_amount, claim.amount_reason = amount, reason


def expected_payment_date(approved_at: datetime | None) -> date:
    """The date money should arrive: INVOLVE_PAYMENT_DAYS working days after approval (London date)."""
    day = (approved_at or datetime.now(UTC)).astimezone(LONDON).date()
    return add_working_days(day, settings.payment_days)


def reject(reference: str, *, by: str, reason: str, link_token: str | None = None) -> Claim:
    reason = (reason or "").strip()
    if not reason:
        raise InvolveError("a reason is required to reject a claim; it is sent to the claimant")
    with unit_of_work() as session:
        claim = lock_claim(session, reference)
        by, _ = check(session, "reject", claim, by)
        to_status = next_status("reject", claim.status, reference=claim.reference)
        _use_link(session, link_token, claim.reference, "reject", by)
        from_status, claim.status = claim.status, to_status
        claim.rejection_reason, claim.decided_at = reason, datetime.now(UTC)
        audit.record(session, [audit.Change("claim", claim.reference, "reject", by, from_status, to_status,
                                            reason=reason)])
        ctx = dict(claim_summary(claim), reason=reason)
        enqueue(session, [email_row(template="claim_rejected", to=claim.claimant_email, reference=claim.reference,
                                    context=ctx, dedupe_key=f"{claim.reference}:rejected",
                                    **preferences(session, claim))])
        return claim


def pay(reference: str, *, by: str, payment_ref: str | None = None) -> Claim:
    try:
        with unit_of_work() as session:
            claim = lock_claim(session, reference)
            by, _ = check(session, "pay", claim, by)
            to_status = next_status("pay", claim.status, reference=claim.reference)
            first = claim.status == "approved"  # else paid again after a failed payment
            amount = claim.payable_amount
            session.add(Payment(claim_id=claim.id, amount=amount, payment_ref=payment_ref, recorded_by=by))
            from_status, claim.status, claim.paid_at = claim.status, to_status, datetime.now(UTC)
            session.flush()
            audit.record(session, [audit.Change("claim", claim.reference, "pay", by, from_status, to_status,
                                                data={"amount": f"{amount:.2f}", "payment_ref": payment_ref})])
            ctx = dict(claim_summary(claim), paid_amount=f"{amount:.2f}", expenses_only=claim.expenses_only,
                       payment_ref=payment_ref)
            enqueue(session, [email_row(template="claim_paid", to=claim.claimant_email, reference=claim.reference,
                                        context=ctx, dedupe_key=f"{claim.reference}:paid" if first else
                                        f"{claim.reference}:paid:{datetime.now(UTC):%Y%m%d%H%M%S%f}",
                                        **preferences(session, claim))])
            faults.point("pay.before_commit")
        faults.point("pay.after_commit")
        return claim
    except IntegrityError:
        raise AlreadyPaid(f"{reference} is already paid; a claim is paid once") from None


def _use_link(session: Session, signed: str | None, reference: str, action: str, by: str) -> None:
    if signed is None:
        return
    token = links.load(session, signed, for_update=True)
    if token.reference != reference or token.action != action or not same_address(token.holder_email, by):
        raise NotAllowed("this link is for a different action")
    links.use(token)


def release(reference: str, *, by: str) -> Claim:
    """A co-ordinator sends a claim that was set aside back to processing (once its cause is fixed,
    e.g. the policy file); if it still cannot be processed it is set aside again, with its reason."""
    from involve.domain.flags import SET_ASIDE
    from involve.services.people import require_staff

    with unit_of_work() as session:
        claim = lock_claim(session, reference)
        member = require_staff(session, by, "coordinator", doing="release a claim that was set aside")
        if claim.hold_reason is None:
            raise WrongState(f"{claim.reference} is not set aside")
        reason, claim.hold_reason = claim.hold_reason, None
        claim.flags = [f for f in claim.flags or [] if f != SET_ASIDE]
        audit.record(session, [audit.Change("claim", claim.reference, "release", member.email, claim.status,
                                            claim.status, reason=f"was set aside: {reason}")])
        return claim
