"""When the bank reports back: a returned (failed) payment, and reconciling the bank's CSV of paid
and returned claim references against the runs.

A failed payment moves the claim to `payment_failed`, takes it out of its run (so a later run can
take it again) and asks the person to check their details through a `Payment details:` link.
"""
from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import delete

from involve import audit
from involve.db import unit_of_work
from involve.domain.text import DESCRIPTION_MAX as REASON_MAX
from involve.domain.text import bad_character
from involve.domain.transitions import next_status
from involve.errors import InvolveError, NotFound, WrongState
from involve.mail.outbox import email_row, enqueue
from involve.services.claims import lock_claim
from involve.services.payees import ask_link, payees_by_email
from involve.services.payment_runs import PAYABLE, bank_amount, close_if_settled, record_payment
from involve.services.people import preferences, require_staff
from involve.services.processing import claim_summary
from models import Claim, Payment, PaymentFailure, PaymentRun

MAX_LINES = 100_000
NO_REASON = "returned by the bank (the bank's report gave no reason)"  # a `returned` line without one


def mark_failed(reference: str, *, reason: str, by: str) -> Claim:
    reason = (reason or "").strip()
    if not reason:
        raise InvolveError("--reason: say why the payment failed (the bank's reason); it is recorded")
    if problem := bad_character(reason):
        raise InvolveError(f"--reason {problem}")
    if len(reason) > REASON_MAX:
        raise InvolveError(f"--reason: at most {REASON_MAX} characters, not {len(reason)}")
    with unit_of_work() as session:
        member = require_staff(session, by, "finance", doing="record failed payments")
        claim = lock_claim(session, reference)
        if claim.status == "approved" and claim.payment_run_id is None:
            raise WrongState(f"{claim.reference} is not in a payment run, so no payment of it can have failed")
        to_status = next_status("fail", claim.status, reference=claim.reference)
        run = session.get(PaymentRun, claim.payment_run_id) if claim.payment_run_id else None
        session.execute(delete(Payment).where(Payment.claim_id == claim.id))
        session.add(PaymentFailure(claim_id=claim.id, run_id=run.id if run else None, reason=reason,
                                   recorded_by=member.email, recorded_at=datetime.now(UTC)))
        from_status, claim.status = claim.status, to_status
        claim.payment_run_id, claim.paid_at = None, None
        audit.record(session, [audit.Change("claim", claim.reference, "fail", member.email, from_status, to_status,
                                            reason=reason, data={"run": run.reference if run else None})])
        payee = payees_by_email(session, {claim.claimant_email}).get(claim.claimant_email)
        url, expires_on = ask_link(session, claim)
        ctx = dict(claim_summary(claim), reason="" if reason == NO_REASON else reason, details_url=url,
                   expires_on=expires_on, paid_amount=f"{bank_amount(claim):.2f}",
                   bank_masked=(payee.bank_details_masked if payee else None) or claim.bank_details_masked)
        enqueue(session, [email_row(template="payment_failed", to=claim.claimant_email, reference=claim.reference,
                                    context=ctx,
                                    dedupe_key=f"{claim.reference}:payment-failed:{datetime.now(UTC):%Y%m%d%H%M%S%f}",
                                    **preferences(session, claim))])
        return claim


def pay_from_bank_report(reference: str, *, by: str) -> str:
    """A `paid` line of the bank's report: the claim, in an open run, is paid (as by mark-paid)."""
    with unit_of_work() as session:
        member = require_staff(session, by, "finance", doing="reconcile payments")
        claim = lock_claim(session, reference)
        if claim.status == "paid":
            raise WrongState(f"{claim.reference} is already paid")
        run = session.get(PaymentRun, claim.payment_run_id) if claim.payment_run_id else None
        if run is None or claim.status not in PAYABLE:
            raise WrongState(f"{claim.reference} is {claim.status} and in no open payment run")
        record_payment(session, claim, by=member.email, payment_ref=run.reference,
                       dedupe=f"{claim.reference}:paid:{run.reference}")
        close_if_settled(session, run, member.email)
        return run.reference


@dataclass
class Reconciliation:
    applied: list[dict] = field(default_factory=list)
    unmatched: list[dict] = field(default_factory=list)
    refused: list[dict] = field(default_factory=list)

    def as_json(self) -> dict:
        return {"applied": self.applied, "unmatched": self.unmatched, "refused": self.refused}


def _read(path: Path) -> list[list[str]]:
    try:
        text = Path(path).read_text(encoding="utf-8-sig")
    except UnicodeDecodeError:
        raise InvolveError(f"{path}: not a UTF-8 CSV file") from None
    rows = list(csv.reader(io.StringIO(text)))
    if not rows:
        raise InvolveError(f"{path}: the file is empty; expected the header reference,status[,reason]")
    header = [h.strip().lower() for h in rows[0]]
    if header not in (["reference", "status"], ["reference", "status", "reason"]):
        raise InvolveError(f"{path}: the header must be reference,status[,reason], not {','.join(rows[0])}")
    if len(rows) > MAX_LINES:
        raise InvolveError(f"{path}: more than {MAX_LINES} lines")
    return rows


def reconcile(path: Path, *, by: str) -> Reconciliation:
    """Apply the bank's report line by line: each good line in its own transaction; a bad line is
    reported and nothing is applied from it; a reference we do not know is reported as unmatched."""
    with unit_of_work() as session:
        require_staff(session, by, "finance", doing="reconcile payments")
    rows = _read(path)
    width = len(rows[0])
    out, seen = Reconciliation(), set()
    for n, row in enumerate(rows[1:], start=2):
        if not any(cell.strip() for cell in row):
            continue
        ref = (row[0].strip().upper() if row else "")
        line = {"line": n, "reference": ref}
        if len(row) not in (2, width) or len(row) > 3:
            out.refused.append(dict(line, reason=f"expected {width} columns, found {len(row)}"))
            continue
        status = row[1].strip().lower()
        reason = row[2].strip() if len(row) > 2 else ""
        if not ref:
            out.refused.append(dict(line, reason="no reference"))
            continue
        if status not in ("paid", "returned"):
            out.refused.append(dict(line, reason=f"status must be paid or returned, not {row[1].strip()!r}"))
            continue
        if ref in seen:
            out.refused.append(dict(line, reason=f"{ref} appears more than once in this file"))
            continue
        seen.add(ref)
        try:
            if status == "paid":
                pay_from_bank_report(ref, by=by)
            else:
                mark_failed(ref, reason=reason or NO_REASON, by=by)
        except NotFound:
            out.unmatched.append(dict(line, status=status))
        except InvolveError as exc:
            out.refused.append(dict(line, reason=str(exc)))
        else:
            out.applied.append(dict(line, status=status))
    return out

