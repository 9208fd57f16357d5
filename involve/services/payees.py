"""The payee record: a person's payment details held once, and guarded changes of bank details.

- A person's first bank details (from their first claim, or given through a `Payment details:`
  link) become their payee record; later claims may leave them out and reuse it.
- Different bank details on a later claim (or through the link) are a *change*: it waits in the
  record as pending; the person confirms it through a `Confirm bank details:` link sent to their
  email, and a finance user checks it (`involve payments check-details`) before the next payment.
  Until then none of the person's claims enters a payment run (the classic mandate fraud: someone
  else asks for the money to go to a new account).
- Claims whose bank details fail the Vocalink modulus check are flagged `bank_details_invalid`, and
  claims of a person whose details changed in the last `INVOLVE_BANK_DETAILS_CHANGED_DAYS` days are
  flagged `bank_details_changed`.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from involve import audit, crypto, links
from involve.domain.bank import account_passes_modulus_check, digits
from involve.domain.dates import london_today
from involve.mail.outbox import email_row
from involve.settings import settings
from models import Claim, Payee

BANK_KEYS = ("account_name", "sort_code", "account_number")
PAYROLL_KEYS = ("ni_number", "payroll_reference")
ASK_DETAILS = "payment_details"  # the Payment details: link
CONFIRM_CHANGE = "confirm_bank_details"  # the Confirm bank details: link


def mask(account_number: str) -> str:
    return crypto.mask_account(account_number) or ""


def bank_part(details: dict | None) -> dict | None:
    bank = {k: (details or {}).get(k) for k in BANK_KEYS}
    return bank if all(bank.values()) else None


def same_account(a: dict | None, b: dict | None) -> bool:
    return bool(a and b and digits(a["sort_code"]) == digits(b["sort_code"])
                and digits(a["account_number"]) == digits(b["account_number"]))


def claim_details(claim: Claim) -> dict:
    return crypto.decrypt_json(claim.bank_details_encrypted) if claim.bank_details_encrypted else {}


def current_bank(payee: Payee | None) -> dict | None:
    return crypto.decrypt_json(payee.bank_details_encrypted) if payee and payee.bank_details_encrypted else None


def payroll_ids(payee: Payee | None, claim: Claim | None = None) -> dict:
    ids = crypto.decrypt_json(payee.payroll_encrypted) if payee and payee.payroll_encrypted else {}
    if claim is not None:
        ids = {**ids, **{k: v for k, v in claim_details(claim).items() if k in PAYROLL_KEYS and v}}
    return ids


def recently_changed(payee: Payee | None, now: datetime) -> bool:
    if payee is None:
        return False
    if payee.pending_encrypted is not None:
        return True
    days = timedelta(days=settings.bank_details_changed_days)
    return payee.checked_at is not None and now - payee.checked_at <= days


def payees_by_email(session: Session, emails: set[str], *, lock: bool = False) -> dict[str, Payee]:
    if not emails:
        return {}
    stmt = select(Payee).where(Payee.email.in_(emails))
    if lock:
        stmt = stmt.with_for_update()
    return {p.email: p for p in session.execute(stmt).scalars()}


def set_pending(payee: Payee, bank: dict, *, source: str, now: datetime, confirmed: bool) -> None:
    payee.pending_encrypted = crypto.encrypt_json(bank)
    payee.pending_masked = crypto.mask_account(bank["account_number"])
    payee.pending_at, payee.pending_source = now, source
    payee.pending_confirmed_at = now if confirmed else None


def set_current(payee: Payee, bank: dict, *, source: str, now: datetime) -> None:
    payee.bank_details_encrypted = crypto.encrypt_json(bank)
    payee.bank_details_masked = crypto.mask_account(bank["account_number"])
    payee.details_set_at, payee.details_source = now, source


@dataclass
class ClaimOutcome:
    """What processing one claim adds: flags, emails and link rows to store, audit records."""
    flags: list[str] = field(default_factory=list)
    mails: list[dict] = field(default_factory=list)
    link_rows: list[dict] = field(default_factory=list)
    changes: list[audit.Change] = field(default_factory=list)


def _link(out: ClaimOutcome, action: str, reference: str, holder: str) -> str:
    row, url = links.new_link(action=action, reference=reference, holder=holder)
    out.link_rows.append(row)
    return url


def link_expires_on(now: datetime) -> date:
    """The last day (London) a `Payment details:` link made at `now` works."""
    return london_today(now + timedelta(days=settings.link_max_age_days))


def ask_link(session: Session, claim: Claim, now: datetime | None = None) -> tuple[str, str]:
    """A fresh `Payment details:` link for `claim` (in the caller's transaction), and its last day (ISO)."""
    now = now or datetime.now(UTC)
    url = links.issue(session, action=ASK_DETAILS, reference=claim.reference, holder=claim.claimant_email,
                      days=settings.link_max_age_days, now=now)
    return url, link_expires_on(now).isoformat()


def _writing(claim: Claim, prefs: dict | None) -> dict:
    """`email_row` keywords: the person's language and format (`prefs`, from their register entry), else
    the claim's."""
    return prefs or {"language": claim.claimant_language, "reading_format": claim.claimant_format}


def ask_for_details_mail(out: ClaimOutcome, claim: Claim, summary: dict, why: str,
                         prefs: dict | None = None) -> None:
    url = _link(out, ASK_DETAILS, claim.reference, claim.claimant_email)
    out.mails.append(email_row(template="payment_details", to=claim.claimant_email, reference=claim.reference,
                               context=dict(summary, why=why, details_url=url,
                                            expires_on=link_expires_on(datetime.now(UTC)).isoformat()),
                               dedupe_key=f"{claim.reference}:payment-details:{why}", **_writing(claim, prefs)))


def needs_bank(claim: Claim, expenses: object) -> bool:
    """A claim paid (at least in part) by bank: bank transfer, or the expenses of a payroll claim."""
    if claim.payment_method == "voucher":
        return False
    if claim.payment_method == "payroll":
        return bool(expenses)
    return True


def _payee(session: Session, payees: dict[str, Payee], email: str, now: datetime) -> Payee:
    payee = payees.get(email)
    if payee is None:
        payee = payees[email] = Payee(email=email, created_at=now)
        session.add(payee)
    return payee


def apply_claim(session: Session, c: Claim, payees: dict[str, Payee], *, expenses: object, summary: dict,
                now: datetime, prefs: dict | None = None, details: dict | None = None) -> ClaimOutcome:
    """During processing, for one claim: record its payment details on its person's payee record
    (first details, or a pending change to confirm), and say what to flag and whom to ask.
    `payees`: the batch's payee records by email (`payees_by_email(..., lock=True)`), updated here.
    `details`: `claim_details(c)` if the caller decrypted it already (outside the write lock)."""
    out = ClaimOutcome()
    details = claim_details(c) if details is None else details
    bank = bank_part(details)
    payee = payees.get(c.claimant_email)
    ids = {k: details[k] for k in PAYROLL_KEYS if details.get(k)}
    if ids:
        payee = _payee(session, payees, c.claimant_email, now)
        payee.payroll_encrypted = crypto.encrypt_json({**payroll_ids(payee), **ids})
    if bank is not None and not account_passes_modulus_check(bank["sort_code"], bank["account_number"]):
        out.flags.append("bank_details_invalid")
        ask_for_details_mail(out, c, summary, "invalid", prefs)
    elif bank is not None:
        payee = _payee(session, payees, c.claimant_email, now)
        current = current_bank(payee)
        if current is None:
            set_current(payee, bank, source=c.reference, now=now)
        elif not same_account(current, bank) and not same_account(current_pending(payee), bank):
            set_pending(payee, bank, source=c.reference, now=now, confirmed=False)
            url = _link(out, CONFIRM_CHANGE, c.reference, payee.email)
            out.mails.append(email_row(
                template="bank_details_change", to=payee.email, reference=c.reference,
                context=dict(summary, old_masked=payee.bank_details_masked, new_masked=payee.pending_masked,
                             confirm_url=url),
                dedupe_key=f"{c.reference}:bank-change", **_writing(c, prefs)))
            out.changes.append(audit.Change("payee", c.reference, "bank_details_change_requested", audit.SYSTEM,
                                            data={"masked": payee.pending_masked}))
    elif needs_bank(c, expenses) and current_bank(payee) is None:
        ask_for_details_mail(out, c, summary, "missing", prefs)
    if recently_changed(payee, now):
        out.flags.append("bank_details_changed")
    return out


def current_pending(payee: Payee | None) -> dict | None:
    return crypto.decrypt_json(payee.pending_encrypted) if payee and payee.pending_encrypted else None
