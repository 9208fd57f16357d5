"""Changing the involvement register under the authority rules: a co-ordinator, PPI lead or admin adds,
edits and deactivates people (involve/domain/authority.py). One transaction each, audited as PER-<id>
(never the person's email)."""
from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from involve import audit, links
from involve.db import unit_of_work
from involve.domain import authority
from involve.domain.register_fields import check_details
from involve.errors import NotAllowed, NotFound, WrongState
from involve.mail.outbox import email_row, enqueue
from involve.services.payee_changes import checked_bank, give_own_details
from involve.services.people import actor, add_person, normalise_email
from models import Person


def require_register_editor(session: Session, by: str | None) -> str:
    if not by:
        raise NotAllowed("--by is required: the co-ordinator, PPI lead or admin changing the register")
    who = actor(session, by)
    refusal = authority.may_change_register(who)
    if refusal:
        raise NotAllowed(refusal)
    return who.email


def register(*, by: str | None, **fields) -> dict:
    """Add a person to the register or update them; returns what the CLI prints."""
    from involve.domain.diversity import categories_of

    with unit_of_work() as session:
        by = require_register_editor(session, by)
        p = add_person(session, by=by, **fields)
        return {"id": p.id, "reference": f"PER-{p.id}", "email": p.email, "name": p.name, "borough": p.borough,
                "carer": bool(p.carer), "language": p.language, "format": p.preferred_format,
                "mapping_categories": sorted(categories_of(p))}


def _person(session: Session, email: str) -> Person:
    p = session.execute(select(Person).where(Person.email == normalise_email(email))).scalar_one_or_none()
    if p is None:
        raise NotFound(f"{email} is not in the register")
    return p


def deactivate(email: str, *, by: str | None) -> Person:
    with unit_of_work() as session:
        by = require_register_editor(session, by)
        p = _person(session, email)
        if not p.active:
            raise WrongState(f"PER-{p.id} is already inactive")
        p.active = False
        audit.record(session, [audit.Change("register", f"PER-{p.id}", "deactivate", by, "active", "inactive")])
        return p


EDITABLE = ("name", "borough", "recruitment_consent", "carer", "age_band", "ethnic_group", "gender", "disability",
            "religion", "sexual_orientation", "access_needs", "availability_note", "preferred_format")


def edit(email: str, changes: dict, *, by: str | None) -> Person:
    """Change some of a person's register fields (a co-ordinator's edit page). Only EDITABLE fields; the
    audit names the fields changed, never their values."""
    with unit_of_work() as session:
        by = require_register_editor(session, by)
        p = _person(session, email)
        changed = sorted(k for k, v in changes.items() if k in EDITABLE and getattr(p, k) != v)
        for k in changed:
            setattr(p, k, changes[k])
        if changed:
            audit.record(session, [audit.Change("register", f"PER-{p.id}", "edit", by, data={"fields": changed})])
        return p


DETAILS_LINK_DAYS = 14
UPDATE_DETAILS = "update_details"  # the `Update your details:` link: the person's own page


def details_url(session: Session, p: Person) -> str:
    """A new `Update your details:` link for `p` (works once, for DETAILS_LINK_DAYS days; held by their
    register address, so only they receive it)."""
    return links.issue(session, action=UPDATE_DETAILS, reference=f"PER-{p.id}", holder=p.email,
                       days=DETAILS_LINK_DAYS)


def details_mail(session: Session, p: Person) -> dict:
    """The email with a person's `Update your details:` link, in their language and format."""
    return email_row(template="register_details", to=p.email, reference=f"PER-{p.id}",
                     context={"reference": f"PER-{p.id}", "name": p.name, "details_url": details_url(session, p),
                              "days": DETAILS_LINK_DAYS},
                     language=p.language, reading_format=p.preferred_format)


def send_details_link(email: str, *, by: str | None) -> Person:
    """Email a person the `Update your details:` link to their own page (asked by a co-ordinator)."""
    with unit_of_work() as session:
        by = require_register_editor(session, by)
        p = _person(session, email)
        if not p.active:
            raise WrongState(f"PER-{p.id} is inactive; reactivate them first")
        enqueue(session, [details_mail(session, p)])
        audit.record(session, [audit.Change("register", f"PER-{p.id}", "details_link", by)])
        return p


@dataclass(frozen=True)
class OwnDetailsSaved:
    name: str
    bank_change: bool  # new bank details wait for a finance user's check before the next payment


def update_own_details(signed: str, form: dict, *, languages: Collection[str] | None = None,
                       bank: dict | None = None, payroll: dict | None = None
                       ) -> tuple[OwnDetailsSaved | None, dict[str, str]]:
    """The person's own page: (what was saved, {}); or (None, errors) and nothing changed. `languages`:
    those the page offered; `bank` (account_name, sort_code, account_number) and `payroll` (ni_number,
    payroll_reference) go to their payee record (involve/services/payee_changes.py: a change of bank
    details then waits for a finance user's check). Bank details failing the modulus check raise
    BankDetailsInvalid before anything changes. The link works once."""
    changes, errors = check_details(form, languages=languages)
    if errors:
        return None, errors
    if bank is not None:
        bank = checked_bank(**bank)
    now = datetime.now(UTC)
    with unit_of_work() as session:
        token = links.load(session, signed, for_update=True)
        p = session.get(Person, int(token.reference.removeprefix("PER-"))) \
            if token.action == UPDATE_DETAILS and token.reference.startswith("PER-") else None
        if p is None or p.email != token.holder_email or not p.active:
            raise NotFound("this link is no longer valid")
        ref = f"PER-{p.id}"
        changed = sorted(k for k, v in changes.items() if getattr(p, k) != v)
        for k in changed:
            setattr(p, k, changes[k])
        links.use(token)
        audit.record(session, [audit.Change("register", ref, "own_details", ref, data={"fields": changed})])
        bank_change = give_own_details(session, p.email, person_ref=ref, now=now, bank=bank, payroll=payroll)
        return OwnDetailsSaved(p.name, bank_change), {}
