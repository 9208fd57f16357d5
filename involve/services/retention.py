"""Retention: anonymise personal data that has passed its retention period (docs/retention.md).

- Claims and payments are financial records: kept for `retention_payment_years` (7) full years
  after the end of the financial year (1 April - 31 March) of the activity. Then the claimant's
  name and email, bank details, free-text descriptions, receipts and the approval note are
  removed; rejection reasons that could name someone (given fewer than 5 times that year) too.
- Register people (service users) with no involvement for `retention_register_years` (3): their
  name, email, contact and availability details are removed; self-declared diversity categories
  and borough stay (they are only ever reported in aggregate, with small numbers suppressed).

What the annual report counts is kept: status, kind, borough, dates, amounts, flags, and one
stable pseudonym per person (`person-<register id>@anonymised.invalid` for register people,
`claimant-<n>@anonymised.invalid` otherwise), so "distinct people" stays the same. Each
anonymised claim and register entry writes one audit record, in the same transaction.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, date, datetime

from sqlalchemy import delete, func, select, update
from sqlalchemy.orm import Session

from involve import audit
from involve.db import unit_of_work
from involve.services.people import normalise_email, require_staff
from involve.services.receipts import remove_receipts
from involve.settings import settings
from models import Claim, ExpenseLine, OutboxEmail, Payee, Payment, PaymentFailure, PayrollLine, Person

ANON_DOMAIN = "anonymised.invalid"
ANON_NAME = "Anonymised"
REMOVED = "[removed under the retention policy]"
REPORTED_REASON_AT_LEAST = 5  # the annual report lists rejection reasons given at least this often


@dataclass(frozen=True)
class RetentionResult:
    as_of: date
    claims: int
    people: int
    claim_cutoff: date  # claims with an activity date before this are past retention
    person_cutoff: date  # register people last involved before this are past retention
    references: list[str] = field(default_factory=list)
    files: int = 0  # payment-run files (full bank details) deleted after INVOLVE_PAYMENT_RUN_FILE_DAYS


def financial_year_start(day: date) -> int:
    return day.year if day.month >= 4 else day.year - 1


def claim_cutoff(as_of: date, years: int | None = None) -> date:
    """Activity dates before this are in a financial year that ended more than `years` years
    before `as_of` (financial year Y ends 31 March Y+1 and is kept until 31 March Y+1+years)."""
    years = settings.retention_payment_years if years is None else years
    return date(financial_year_start(as_of) - years, 4, 1)


def person_cutoff(as_of: date, years: int | None = None) -> date:
    years = settings.retention_register_years if years is None else years
    try:
        return as_of.replace(year=as_of.year - years)
    except ValueError:  # 29 February
        return as_of.replace(year=as_of.year - years, day=28)


def _pseudonyms(session: Session, emails: set[str]) -> dict[str, str]:
    people = dict(session.execute(select(Person.email, Person.id).where(Person.email.in_(emails))).all())
    out, n = {}, 0
    taken = session.execute(
        select(func.count()).select_from(Claim).where(Claim.claimant_email.like(f"claimant-%@{ANON_DOMAIN}"))
    ).scalar_one()
    for email in sorted(emails):
        if email in people:
            out[email] = f"person-{people[email]}@{ANON_DOMAIN}"
        else:
            n += 1
            out[email] = f"claimant-{taken + n}x{datetime.now(UTC):%Y%m%d}@{ANON_DOMAIN}"
    return out


def run(*, by: str | None = None, as_of: date | None = None, dry_run: bool = False) -> RetentionResult:
    """Anonymise everything past retention on `as_of` (default today), in one transaction; then
    delete payment-run files older than INVOLVE_PAYMENT_RUN_FILE_DAYS."""
    import dataclasses

    result = _anonymise(by=by, as_of=as_of, dry_run=dry_run)
    return dataclasses.replace(result, files=remove_payment_run_files(by=by, dry_run=dry_run))


def remove_payment_run_files(*, by: str | None = None, dry_run: bool = False, now: float | None = None) -> int:
    """Delete payment-run files (var/payment-runs) past their retention period; one audit record each."""
    from involve.files import remove_older_than

    folder, days = settings.payment_runs_dir, settings.payment_run_file_days
    if dry_run:
        import time

        cutoff = (time.time() if now is None else now) - days * 86400
        return sum(1 for p in folder.glob("payment-run-*") if p.stat().st_mtime < cutoff) \
            if folder.is_dir() else 0
    removed = remove_older_than(folder, days, "payment-run-*", now=now)
    if removed:
        actor = normalise_email(by) if by else audit.SYSTEM
        with unit_of_work() as session:
            audit.record(session, [audit.Change("payment_run", _run_reference(p.name), "delete_file", actor,
                                                reason=f"retention: file older than {days} days")
                                   for p in removed])
    return len(removed)


def _run_reference(file_name: str) -> str:
    parts = file_name.split("-")
    return f"RUN-{int(parts[2])}" if len(parts) > 2 and parts[2].isdigit() else file_name[:60]


def _anonymise(*, by: str | None, as_of: date | None, dry_run: bool) -> RetentionResult:
    as_of = as_of or datetime.now(UTC).date()
    c_cut, p_cut = claim_cutoff(as_of), person_cutoff(as_of)
    now = datetime.now(UTC)
    with unit_of_work() as session:
        actor = audit.SYSTEM
        if by is not None:
            actor = require_staff(session, by, "coordinator", "finance", doing="run the retention job").email
        claims = list(
            session.execute(
                select(Claim)
                .where(Claim.activity_date < c_cut, Claim.anonymised_at.is_(None))
                .order_by(Claim.id)
            ).scalars()
        )
        last_claim = func.max(Claim.activity_date)
        recent = {
            e
            for e, d in session.execute(
                select(Claim.claimant_email, last_claim).group_by(Claim.claimant_email)
            ).all()
            if d and d >= p_cut
        }
        people = [
            p
            for p in session.execute(
                select(Person).where(Person.anonymised_at.is_(None)).order_by(Person.id)
            ).scalars()
            if p.created_at.date() < p_cut and p.email not in recent
        ]
        result = RetentionResult(as_of, len(claims), len(people), c_cut, p_cut, [c.reference for c in claims])
        if dry_run or (not claims and not people):
            return result
        changes = []
        if claims:
            names = _pseudonyms(session, {c.claimant_email for c in claims})
            reasons = Counter(
                (financial_year_start(c.activity_date), (c.rejection_reason or "").strip())
                for c in claims
                if c.rejection_reason
            )
            ids = [c.id for c in claims]
            for c in claims:
                reason = (c.rejection_reason or "").strip()
                keep_reason = (
                    reasons[(financial_year_start(c.activity_date), reason)] >= REPORTED_REASON_AT_LEAST
                )
                c.claimant_name, c.claimant_email = ANON_NAME, names[c.claimant_email]
                c.bank_details_encrypted = c.bank_details_masked = None
                c.approval_note = REMOVED if c.approval_note else None
                c.rejection_reason = c.rejection_reason if keep_reason or not reason else REMOVED
                c.submission_id = None
                c.anonymised_at = now
                changes.append(
                    audit.Change(
                        "claim",
                        c.reference,
                        "anonymise",
                        actor,
                        c.status,
                        c.status,
                        reason=f"retention: financial year ended more than "
                        f"{settings.retention_payment_years} years ago",
                    )
                )
            session.execute(
                update(ExpenseLine)
                .where(ExpenseLine.claim_id.in_(ids))
                .values(description=None, receipt=None)
            )
            session.execute(update(Payment).where(Payment.claim_id.in_(ids)).values(details=None))
            # a returned payment's reason is free text finance typed: it may name the person
            session.execute(update(PaymentFailure).where(PaymentFailure.claim_id.in_(ids)).values(reason=REMOVED))
            remove_receipts(session, ids)
            for email, pseudonym in names.items():  # payroll lines follow their claims to the pseudonym
                session.execute(update(PayrollLine).where(PayrollLine.claim_id.in_(ids),
                                                          PayrollLine.claimant_email == email)
                                .values(claimant_email=pseudonym))
            refs = [c.reference for c in claims]
            session.execute(
                delete(OutboxEmail).where(OutboxEmail.reference.in_(refs), OutboxEmail.sent_at.isnot(None))
            )
        for p in people:
            pseudonym = f"person-{p.id}@{ANON_DOMAIN}"
            # their claims still within retention keep name and bank details (payment records) but
            # follow the register entry to the pseudonym, so reports still join them to it
            session.execute(
                update(Claim).where(Claim.claimant_email == p.email).values(claimant_email=pseudonym)
            )
            session.execute(
                update(PayrollLine).where(PayrollLine.claimant_email == p.email).values(claimant_email=pseudonym)
            )
            p.name, p.email = ANON_NAME, pseudonym
            p.active, p.recruitment_consent, p.weekly_earnings_limit = False, False, None
            p.unavailable, p.conflicts, p.panel_trained_on = [], [], None
            p.anonymised_at = now
            changes.append(
                audit.Change(
                    "register",
                    f"PER-{p.id}",
                    "anonymise",
                    actor,
                    reason=f"retention: no involvement for {settings.retention_register_years} years",
                )
            )
        session.flush()
        # a payee record (payment details held once) is kept while its person has a claim in retention
        session.execute(delete(Payee).where(~select(Claim.id).where(Claim.claimant_email == Payee.email).exists()))
        audit.record(session, changes)
        return result
