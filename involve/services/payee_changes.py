"""Changing a person's payment details after their first claim, always by two people:

1. the person: through a link sent to their email (`Payment details:` gives new details,
   `Confirm bank details:` confirms details that arrived on a claim), and
2. a finance user: `check_change` makes the confirmed details current (recorded in the audit trail).
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from involve import audit, crypto, links
from involve.db import unit_of_work
from involve.domain.bank import account_passes_modulus_check
from involve.domain.languages import N_, Message
from involve.errors import InvolveError, NotAllowed, NotFound, WrongState
from involve.services.claims import lock_claim
from involve.services.payees import (
    ASK_DETAILS,
    CONFIRM_CHANGE,
    current_bank,
    payees_by_email,
    payroll_ids,
    same_account,
    set_current,
    set_pending,
)
from involve.services.people import normalise_email, require_staff
from models import Claim, Payee


class BankDetailsInvalid(InvolveError):
    """The sort code and account number fail the bank's modulus check."""


@dataclass(frozen=True)
class DetailsResult:
    reference: str
    needs_check: bool  # a change: a finance user checks it before the next payment


def checked_bank(*, account_name: str, sort_code: str, account_number: str) -> dict:
    """Bank details as stored, or BankDetailsInvalid when the sort code and account number fail the
    bank's modulus check (nothing is changed then)."""
    if not account_passes_modulus_check(sort_code, account_number):
        raise BankDetailsInvalid("The sort code and account number do not match. Check them on a bank "
                                 "statement or card.")
    return {"account_name": account_name.strip(), "sort_code": sort_code, "account_number": account_number}


def record_bank(session: Session, email: str, bank: dict, *, source: str, now: datetime) -> tuple[Payee, bool]:
    """The person's own bank details, given through a link sent to their email (a `Payment details:`
    link or their own page's `Update your details:` link): using that link is their half of the
    two-person check. The first details become current; different ones wait (confirmed) for a finance
    user's check before the next payment. Returns (the payee record, whether a finance check is needed)."""
    payee = payees_by_email(session, {email}, lock=True).get(email)
    if payee is None:
        payee = Payee(email=email, created_at=now)
        session.add(payee)
    current = current_bank(payee)
    needs_check = current is not None and not same_account(current, bank)
    if current is None:
        set_current(payee, bank, source=source, now=now)
    elif needs_check:
        set_pending(payee, bank, source=source, now=now, confirmed=True)
    return payee, needs_check


def give_details(signed: str, *, account_name: str, sort_code: str, account_number: str) -> DetailsResult:
    """The person gives their bank details through the `Payment details:` link of a claim."""
    bank = checked_bank(account_name=account_name, sort_code=sort_code, account_number=account_number)
    now = datetime.now(UTC)
    with unit_of_work() as session:
        token = links.load(session, signed, for_update=True)
        if token.action != ASK_DETAILS:
            raise NotAllowed("this link is for a different action")
        claim = lock_claim(session, token.reference)
        if claim.status in ("paid", "rejected", "withdrawn"):
            raise WrongState(Message(N_("Claim %(ref)s is already decided or paid, so its payment details cannot "
                                        "change now."), ref=claim.reference))
        links.use(token)
        _payee, needs_check = record_bank(session, claim.claimant_email, bank, source="link", now=now)
        details = crypto.decrypt_json(claim.bank_details_encrypted) if claim.bank_details_encrypted else {}
        claim.bank_details_encrypted = crypto.encrypt_json({**details, **bank})
        claim.bank_details_masked = crypto.mask_account(account_number)
        claim.payment_method = claim.payment_method if claim.payment_method in ("bank_transfer", "payroll") \
            else "bank_transfer"
        claim.flags = [f for f in (claim.flags or []) if f != "bank_details_invalid"] + (
            ["bank_details_changed"] if needs_check and "bank_details_changed" not in (claim.flags or []) else [])
        session.flush()
        audit.record(session, [audit.Change("claim", claim.reference, "payment_details", token.holder_email,
                                            data={"masked": claim.bank_details_masked, "change": needs_check})])
        return DetailsResult(claim.reference, needs_check)


OWN_PAGE = "own page"  # the source recorded for details given on the person's own page
SETTLED = ("paid", "rejected", "withdrawn")


def give_own_details(session: Session, email: str, *, person_ref: str, now: datetime, bank: dict | None = None,
                     payroll: dict | None = None) -> bool:
    """On the person's own page (inside its transaction): their bank details (already `checked_bank`)
    and payroll identifiers go to the payee record held once, by the same rules as a `Payment details:`
    link. Their unsettled claims lose `bank_details_invalid` (good details are held now) and, for a
    change, gain `bank_details_changed`. Returns whether a finance user must check a change first."""
    changes: list[audit.Change] = []
    needs_check = False
    payee = None
    if bank is not None:
        payee, needs_check = record_bank(session, email, bank, source=OWN_PAGE, now=now)
        for claim in session.execute(select(Claim).where(Claim.claimant_email == email,
                                                         Claim.status.not_in(SETTLED))).scalars():
            flags = [f for f in (claim.flags or []) if f != "bank_details_invalid"]
            if needs_check and "bank_details_changed" not in flags:
                flags.append("bank_details_changed")
            if flags != list(claim.flags or []):
                claim.flags = flags
        changes.append(audit.Change("payee", person_ref, "payment_details", person_ref, data={
            "masked": crypto.mask_account(bank["account_number"]), "change": needs_check}))
    if payroll:
        payee = payee or payees_by_email(session, {email}, lock=True).get(email)
        if payee is None:
            payee = Payee(email=email, created_at=now)
            session.add(payee)
        payee.payroll_encrypted = crypto.encrypt_json({**payroll_ids(payee), **payroll})
        changes.append(audit.Change("payee", person_ref, "payroll_details", person_ref,
                                    data={"fields": sorted(payroll)}))
    if changes:
        session.flush()
        audit.record(session, changes)
    return needs_check


def answer_change(signed: str, *, confirm: bool) -> str:
    """The person confirms (or disowns) bank details that arrived on a claim in their name."""
    with unit_of_work() as session:
        token = links.load(session, signed, for_update=True)
        if token.action != CONFIRM_CHANGE:
            raise NotAllowed("this link is for a different action")
        links.use(token)
        payee = payees_by_email(session, {token.holder_email}, lock=True).get(token.holder_email)
        if payee is None or payee.pending_encrypted is None:
            raise WrongState("There is no change of bank details waiting for you to confirm.")
        if confirm:
            payee.pending_confirmed_at = datetime.now(UTC)
        else:
            payee.pending_encrypted = payee.pending_masked = payee.pending_at = None
            payee.pending_source = payee.pending_confirmed_at = None
        audit.record(session, [audit.Change("payee", token.reference, "bank_details_confirmed" if confirm
                                            else "bank_details_disowned", token.holder_email)])
        return token.reference


def check_change(email: str, *, by: str) -> Payee:
    """A finance user checks a change the person has confirmed; the new details become current."""
    email = normalise_email(email)
    with unit_of_work() as session:
        member = require_staff(session, by, "finance", doing="check a change of bank details")
        payee = payees_by_email(session, {email}, lock=True).get(email)
        if payee is None or payee.pending_encrypted is None:
            raise NotFound(f"{email} has no change of bank details waiting")
        if member.email == email:
            raise NotAllowed(f"{member.email} cannot check a change of their own bank details")
        if payee.pending_confirmed_at is None:
            raise WrongState(f"{email} has not confirmed the change through the link sent to them yet")
        now = datetime.now(UTC)
        set_current(payee, crypto.decrypt_json(payee.pending_encrypted), source=payee.pending_source or "link",
                    now=now)
        payee.pending_encrypted = payee.pending_masked = payee.pending_at = None
        payee.pending_source = payee.pending_confirmed_at = None
        payee.checked_by, payee.checked_at = member.email, now
        audit.record(session, [audit.Change("payee", f"PAYEE-{payee.id}", "bank_details_checked", member.email,
                                            data={"masked": payee.bank_details_masked})])
        return payee


__all__ = ["give_details", "give_own_details", "checked_bank", "record_bank", "answer_change", "check_change",
           "BankDetailsInvalid"]
