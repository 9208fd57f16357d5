"""Claim actions by people: approve, reject, pay, and the payment run.

Each action is one transaction: lock the claim, check the person's role and the transition
table, change the status, write the audit record and queue the emails. Rules that hold across
the whole lifecycle live here and nowhere else: nobody approves their own claim, the second
approver is a different person, the approver does not record the payment, a claim is paid once.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from involve import audit, crypto, faults, links
from involve.csvfile import write_csv
from involve.db import unit_of_work
from involve.domain.approval import ClaimFacts, second_approvers
from involve.domain.emails import same_address
from involve.domain.transitions import next_status
from involve.errors import AlreadyPaid, InvolveError, NotAllowed, NotFound
from involve.mail.outbox import email_row, enqueue
from involve.services.people import check, normalise_email, require_staff, staff_roles
from involve.services.processing import claim_summary
from involve.settings import settings
from models import Claim, Payment, PaymentRun


def lock_claim(session: Session, reference: str) -> Claim:
    stmt = select(Claim).where(Claim.reference == reference.strip().upper())
    stmt = stmt.with_for_update()
    claim = session.execute(stmt).scalar_one_or_none()
    if claim is None:
        raise NotFound(f"no claim with reference {reference}")
    return claim


def approve(reference: str, *, by: str, expenses_only: bool = False, note: str | None = None,
            link_token: str | None = None) -> Claim:
    with unit_of_work() as session:
        claim = lock_claim(session, reference)
        by, action = check(session, "approve", claim, by)
        to_status = next_status(action, claim.status, reference=claim.reference)
        _use_link(session, link_token, claim.reference, "approve", by)
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
        audit.record(session, [audit.Change("claim", claim.reference, action, by, from_status, to_status,
                                            reason=note, data={"expenses_only": claim.expenses_only})])
        summary = claim_summary(claim)
        summary.update(expenses_only=claim.expenses_only, payable_amount=f"{claim.payable_amount:.2f}",
                       approved_by=claim.approved_by, second_approved_by=claim.second_approved_by)
        mails = []
        if to_status == "awaiting_second_approval":
            for who in second_approvers(ClaimFacts.of(claim), staff_roles(session)):
                ctx = dict(summary, approver=who, second=True,
                           approve_url=links.issue(session, action="approve", reference=claim.reference, holder=who),
                           reject_url=links.issue(session, action="reject", reference=claim.reference, holder=who))
                mails.append(email_row(template="claim_approval", to=who, reference=claim.reference, context=ctx,
                                       dedupe_key=f"{claim.reference}:second-approval:{who}"))
        else:
            mails.append(email_row(template="claim_approved", to=settings.finance_email, reference=claim.reference,
                                   context=summary, dedupe_key=f"{claim.reference}:approved"))
            if claim.expenses_only or "benefits_limit" in (claim.flags or []):
                mails.append(email_row(template="claim_approved_claimant", to=claim.claimant_email,
                                       reference=claim.reference, context=summary,
                                       dedupe_key=f"{claim.reference}:approved-claimant"))
        enqueue(session, mails)
        faults.point("approve.before_commit")
    faults.point("approve.after_commit")
    return claim


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
                                    context=ctx, dedupe_key=f"{claim.reference}:rejected")])
        return claim


def pay(reference: str, *, by: str, payment_ref: str | None = None) -> Claim:
    try:
        with unit_of_work() as session:
            claim = lock_claim(session, reference)
            by, _ = check(session, "pay", claim, by)
            to_status = next_status("pay", claim.status, reference=claim.reference)
            amount = claim.payable_amount
            session.add(Payment(claim_id=claim.id, amount=amount, payment_ref=payment_ref, recorded_by=by))
            from_status, claim.status, claim.paid_at = claim.status, to_status, datetime.now(UTC)
            session.flush()
            audit.record(session, [audit.Change("claim", claim.reference, "pay", by, from_status, to_status,
                                                data={"amount": f"{amount:.2f}", "payment_ref": payment_ref})])
            ctx = dict(claim_summary(claim), paid_amount=f"{amount:.2f}", expenses_only=claim.expenses_only,
                       payment_ref=payment_ref)
            enqueue(session, [email_row(template="claim_paid", to=claim.claimant_email, reference=claim.reference,
                                        context=ctx, dedupe_key=f"{claim.reference}:paid")])
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


@dataclass(frozen=True)
class RunResult:
    run_id: int | None
    count: int
    total: Decimal
    path: Path | None


CSV_FIELDS = ["reference", "claimant_name", "claimant_email", "activity_kind", "activity_date", "borough",
              "fee_amount", "expenses_amount", "payable_amount", "expenses_only", "payment_method",
              "account_name", "sort_code", "account_number"]


def payment_run(*, by: str, out_dir: Path, include_bank_details: bool = False) -> RunResult:
    """Write a CSV of every approved claim not yet in a run; each claim goes in one run only. The file
    is made 0600 (owner only) from its first byte; the retention job deletes it after
    INVOLVE_PAYMENT_RUN_FILE_DAYS."""
    from involve.services.keys import require_readable_data

    require_readable_data()
    with unit_of_work() as session:
        require_staff(session, by, "finance", doing="make a payment run")
        stmt = select(Claim).where(Claim.status == "approved", Claim.payment_run_id.is_(None)).order_by(Claim.id)
        stmt = stmt.with_for_update(skip_locked=True)
        claims = list(session.execute(stmt).scalars())
        total = sum((c.payable_amount for c in claims), Decimal("0.00"))
        if not claims:
            return RunResult(None, 0, total, None)
        run = PaymentRun(created_by=normalise_email(by), claim_count=len(claims), total=total)
        session.add(run)
        session.flush()
        out_dir.mkdir(mode=0o700, parents=True, exist_ok=True)  # a new folder is owner-only too
        path = out_dir / f"payment-run-{run.id:05d}-{datetime.now(UTC):%Y%m%d}.csv"
        run.file_name = path.name
        rows = []
        for c in claims:
            c.payment_run_id = run.id
            bank = crypto.decrypt_json(c.bank_details_encrypted) if c.bank_details_encrypted else {}
            rows.append([
                c.reference, c.claimant_name, c.claimant_email, c.activity_kind, c.activity_date.isoformat(),
                c.borough, f"{c.fee_amount:.2f}", f"{c.expenses_amount:.2f}", f"{c.payable_amount:.2f}",
                "yes" if c.expenses_only else "no", c.payment_method or "",
                bank.get("account_name", "") if include_bank_details else "",
                bank.get("sort_code", "") if include_bank_details else "",
                bank.get("account_number", "") if include_bank_details else (c.bank_details_masked or "")])
        audit.record(session, [audit.Change("payment_run", f"RUN-{run.id}", "create", normalise_email(by),
                                            data={"claims": [c.reference for c in claims], "total": f"{total:.2f}",
                                                  "bank_details": include_bank_details})])
        session.flush()
        write_csv(path, CSV_FIELDS, rows, mode=0o600)  # formulas neutralised, 0600 from the start
        return RunResult(run.id, len(claims), total, path)
