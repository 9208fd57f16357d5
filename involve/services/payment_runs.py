"""Payment runs as a lifecycle: make a run (a file for the bank), mark it paid, or pay its claims one
by one from the bank's report (`involve/services/payment_returns.py`).

A run takes every approved (or earlier failed) claim that is not in an open run and has usable
payment details; on PostgreSQL the claims are taken with FOR UPDATE SKIP LOCKED, so two runs made
at once never share a claim. A claim without usable details stays out (its person has been asked
through a `Payment details:` link). Marking a run paid pays every claim still in it, in one
transaction, with one "paid" email each.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from involve import audit, finance_files
from involve.db import unit_of_work
from involve.domain import bacs18
from involve.domain.approval import ClaimFacts, may
from involve.domain.bank import account_passes_modulus_check
from involve.domain.dates import london_today
from involve.domain.transitions import next_status
from involve.errors import InvolveError, NotFound, WrongState
from involve.mail.outbox import email_row, enqueue
from involve.services import payees as pay_details
from involve.services.intake import new_reference
from involve.services.keys import require_readable_data
from involve.services.people import actor, check, preferences, require_staff
from involve.services.processing import claim_summary
from involve.settings import settings
from models import Claim, Payee, Payment, PaymentRun

PAYABLE = ("approved", "payment_failed")
FORMATS = ("csv", "bacs18")
CSV_HEADER = ["reference", "claimant_name", "activity_kind", "activity_date", "cost_centre", "payment_method",
              "fee_amount", "expenses_amount", "amount", "account_name", "sort_code", "account_number"]


# why a claim cannot be paid by bank yet, when only its person can put it right (through a
# `Payment details:` link): the reason shown to finance -> the `why` of the payment_details email
NO_DETAILS = "no bank details yet; the person has been asked"
INVALID_FLAG = "bank details failed the bank's check; the person has been asked"
FAILED_CHECK = "bank details failed the bank's check"
PERSON_MUST_GIVE = {NO_DETAILS: "missing", INVALID_FLAG: "invalid", FAILED_CHECK: "invalid"}


class NothingToPay(InvolveError):
    """No claim can go in a payment run now."""


@dataclass(frozen=True)
class RunResult:
    reference: str
    claims: list[str]
    total: Decimal
    path: Path
    held: int  # approved claims left out: no usable payment details yet, or a change of details unchecked


def bank_amount(claim: Claim) -> Decimal:
    """What goes to the bank: all of it, or for payroll claims the expenses (the fee goes by payroll)."""
    if claim.payment_method == "payroll":
        return claim.expenses_amount or Decimal("0.00")
    return claim.payable_amount or Decimal("0.00")


def usable_bank(claim: Claim, payee: Payee | None) -> tuple[dict | None, str]:
    """(the bank details to pay `claim` to, "") or (None, why it cannot be paid by bank now)."""
    if claim.payment_method == "voucher":
        return None, "paid by voucher"
    if bank_amount(claim) <= 0:
        return None, "nothing to pay by bank"
    if "bank_details_invalid" in (claim.flags or []):
        return None, INVALID_FLAG
    if payee is not None and payee.pending_encrypted is not None:
        return None, "a change of bank details waits for the person's confirmation and a finance check"
    bank = pay_details.current_bank(payee) or pay_details.bank_part(pay_details.claim_details(claim))
    if bank is None:
        return None, NO_DETAILS
    if not account_passes_modulus_check(bank["sort_code"], bank["account_number"]):
        return None, FAILED_CHECK
    return bank, ""


def _take(session: Session) -> list[Claim]:
    stmt = (select(Claim).where(Claim.status.in_(PAYABLE), Claim.payment_run_id.is_(None))
            .order_by(Claim.id))
    stmt = stmt.with_for_update(skip_locked=True)
    return list(session.execute(stmt).scalars())


def _originator() -> bacs18.Originator:
    missing = [n for n, v in (("INVOLVE_BACS_SUN", settings.bacs_sun), ("INVOLVE_BACS_SORT_CODE",
               settings.bacs_sort_code), ("INVOLVE_BACS_ACCOUNT", settings.bacs_account),
               ("INVOLVE_BACS_NAME", settings.bacs_name)) if not v]
    if missing:
        raise InvolveError(f"{missing[0]} is not set: a Bacs file needs the originator's service user number, "
                           "sort code, account and name")
    return bacs18.Originator(settings.bacs_sun, settings.bacs_sort_code, settings.bacs_account, settings.bacs_name)


def create_run(*, by: str, out_dir: Path, file_format: str = "csv", include_bank_details: bool = False) -> RunResult:
    """Make a run; a CSV shows the account masked unless `include_bank_details` (a Bacs file always
    carries them: it is what the bank reads). The file is written atomically, owner-only."""
    if file_format not in FORMATS:
        raise InvolveError(f"--format: choose csv or bacs18, not {file_format!r}")
    originator = _originator() if file_format == "bacs18" else None
    require_readable_data()  # a data key that cannot open the bank details: refuse before anything changes
    with unit_of_work() as session:
        member = require_staff(session, by, "finance", doing="make a payment run")
        who = actor(session, member.email)
        taken = _take(session)
        payees = pay_details.payees_by_email(session, {c.claimant_email for c in taken})
        chosen: list[tuple[Claim, dict, Decimal]] = []
        not_theirs = 0
        for c in taken:
            bank, _why = usable_bank(c, payees.get(c.claimant_email))
            if bank is None:
                continue
            if not may(who, "pay", ClaimFacts.of(c)):
                not_theirs += 1  # they approved it: another finance user pays it
                continue
            chosen.append((c, bank, bank_amount(c)))
        if not chosen:
            waiting = len(taken) - not_theirs
            held = (f"; {waiting} approved claims wait for payment details or a check of changed bank details"
                    if waiting else "") + (f"; {not_theirs} approved by {member.email} need another finance user"
                                           if not_theirs else "")
            raise NothingToPay(f"there are no approved claims with usable payment details to pay{held}")
        total = sum((a for _, _, a in chosen), Decimal("0.00"))
        ref = new_reference("RUN")
        run = PaymentRun(reference=ref, status="open", file_format=file_format, created_by=member.email,
                         claim_count=len(chosen), total=total)
        session.add(run)
        session.flush()
        for c, _, _ in chosen:
            c.payment_run_id = run.id
        today = london_today(datetime.now(UTC))  # the file's creation day, as the bank's calendar reads it
        path = Path(out_dir) / f"payment-run-{ref}.{'txt' if file_format == 'bacs18' else 'csv'}"
        run.file_name = path.name
        audit.record(session, [audit.Change("payment_run", ref, "create", member.email, None, "open",
                                            data={"claims": [c.reference for c, _, _ in chosen],
                                                  "total": f"{total:.2f}", "format": file_format,
                                                  "bank_details": include_bank_details or file_format == "bacs18"})])
        session.flush()
        _write(path, file_format, chosen, originator, today, ref, include_bank_details)
        return RunResult(ref, [c.reference for c, _, _ in chosen], total, path, len(taken) - len(chosen))


def _write(path: Path, file_format: str, chosen, originator, today: date, ref: str, full: bool) -> None:
    if file_format == "bacs18":
        credits = [bacs18.Credit(b["sort_code"], b["account_number"], a, c.reference, b["account_name"])
                   for c, b, a in chosen]
        try:
            body = bacs18.write(originator, credits, created=today, serial=ref[-6:])
        except bacs18.BacsError as exc:
            raise InvolveError(str(exc)) from None
        finance_files.write_text(path, body, encoding="ascii")
        return
    finance_files.write_csv(path, CSV_HEADER, (
        [c.reference, c.claimant_name, c.activity_kind, c.activity_date.isoformat(), c.cost_centre or "",
         c.payment_method or "", f"{c.fee_amount:.2f}", f"{c.expenses_amount:.2f}", f"{a:.2f}",
         b["account_name"], b["sort_code"] if full else "", b["account_number"] if full else
         pay_details.mask(b["account_number"])] for c, b, a in chosen))


def record_payment(session: Session, claim: Claim, *, by: str, payment_ref: str, dedupe: str) -> Decimal:
    """Pay one claim inside the caller's transaction: the rules, a payment row, the audit record and
    the claimant's "paid" email."""
    by, action = check(session, "pay", claim, by)
    to_status = next_status(action, claim.status, reference=claim.reference)
    amount = bank_amount(claim) if claim.payment_method == "payroll" else claim.payable_amount
    session.execute(delete(Payment).where(Payment.claim_id == claim.id))  # none unless an earlier one failed
    session.add(Payment(claim_id=claim.id, amount=amount, payment_ref=payment_ref, recorded_by=by))
    from_status, claim.status, claim.paid_at = claim.status, to_status, datetime.now(UTC)
    session.flush()
    audit.record(session, [audit.Change("claim", claim.reference, "pay", by, from_status, to_status,
                                        data={"amount": f"{amount:.2f}", "payment_ref": payment_ref})])
    ctx = dict(claim_summary(claim), paid_amount=f"{amount:.2f}", expenses_only=claim.expenses_only,
               payment_ref=payment_ref, payroll=claim.payment_method == "payroll")
    enqueue(session, [email_row(template="claim_paid", to=claim.claimant_email, reference=claim.reference,
                                context=ctx, dedupe_key=dedupe, **preferences(session, claim))])
    return amount


def lock_run(session: Session, reference: str) -> PaymentRun:
    stmt = select(PaymentRun).where(PaymentRun.reference == reference.strip().upper())
    stmt = stmt.with_for_update()
    run = session.execute(stmt).scalar_one_or_none()
    if run is None:
        raise NotFound(f"no payment run {reference}")
    return run


def claims_in_run(session: Session, run: PaymentRun, *, lock: bool = False) -> list[Claim]:
    stmt = select(Claim).where(Claim.payment_run_id == run.id).order_by(Claim.id)
    if lock:
        stmt = stmt.with_for_update()
    return list(session.execute(stmt).scalars())


def mark_paid(reference: str, *, by: str) -> tuple[PaymentRun, list[str]]:
    """Every claim still unpaid in the run → paid, one "paid" email each; the run → paid."""
    with unit_of_work() as session:
        member = require_staff(session, by, "finance", doing="mark payment runs paid")
        run = lock_run(session, reference)
        if run.status == "paid":
            raise WrongState(f"{run.reference} is already marked paid")
        paid = []
        for c in claims_in_run(session, run, lock=True):
            if c.status in PAYABLE:
                record_payment(session, c, by=member.email, payment_ref=run.reference,
                               dedupe=f"{c.reference}:paid:{run.reference}")
                paid.append(c.reference)
        run.status, run.paid_at, run.paid_by = "paid", datetime.now(UTC), member.email
        audit.record(session, [audit.Change("payment_run", run.reference, "mark_paid", member.email, "open", "paid",
                                            data={"claims": paid})])
        return run, paid


def close_if_settled(session: Session, run: PaymentRun, by: str) -> bool:
    """An open run none of whose claims is left to pay is paid."""
    if run.status == "paid" or any(c.status in PAYABLE for c in claims_in_run(session, run)):
        return False
    run.status, run.paid_at, run.paid_by = "paid", datetime.now(UTC), by
    audit.record(session, [audit.Change("payment_run", run.reference, "settled", by, "open", "paid")])
    return True
