"""Links a person asks for by giving their email address on a public page:

- `Your claims:` (POST /claims/status): their claims, when the address has claims;
- `Update your details:` (POST /your-details): their own page, when the address is in the register.

The answer to the person asking is the same whether or not the address is known, so nobody learns
who claims or who is in the register; only a known address gets an email, and at most one of each
kind every few minutes (asking again cannot flood an inbox)."""
from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from involve import links
from involve.db import unit_of_work
from involve.domain.claim_schema import _email
from involve.mail.outbox import email_row, enqueue
from involve.services.register import details_mail
from models import Claim, OutboxEmail, Person

YOUR_CLAIMS_HOURS = 24
RESEND_MINUTES = 5
PATH = "/claims/yours/"


def _send_once(email: str, template: str, mail_for: Callable[[Session, str, str | None], dict | None],
               language: str | None = None) -> bool:
    """Queue the `template` email that `mail_for` builds for `email` (None: the address is not known);
    True when one was queued. A malformed address, or one sent this email in the last RESEND_MINUTES,
    queues nothing."""
    try:
        email = _email(email)
    except ValueError:
        return False
    with unit_of_work() as session:
        since = datetime.now(UTC) - timedelta(minutes=RESEND_MINUTES)
        recent = session.execute(select(OutboxEmail.id).where(
            OutboxEmail.template == template, OutboxEmail.to_addr == email,
            OutboxEmail.created_at >= since).limit(1)).first()
        if recent is not None:
            return False
        row = mail_for(session, email, language)
        if row is None:
            return False
        enqueue(session, [row])
        return True


def _your_claims(session: Session, email: str, language: str | None) -> dict | None:
    """In `language` (the one they chose on the page), else their latest claim's language and format."""
    row = session.execute(select(Claim.reference, Claim.claimant_language, Claim.claimant_format)
                          .where(Claim.claimant_email == email).order_by(Claim.id.desc()).limit(1)).first()
    if row is None:
        return None
    latest = row.reference
    url = links.issue(session, action="your_claims", reference=latest, holder=email, days=1, path=PATH)
    return email_row(template="your_claims", to=email, reference=latest,
                     context={"reference": latest, "url": url, "hours": YOUR_CLAIMS_HOURS},
                     language=language or row.claimant_language, reading_format=row.claimant_format)


def _details(session: Session, email: str, language: str | None) -> dict | None:
    """In the register's language and format (theirs, chosen on their own page)."""
    person = session.execute(select(Person).where(Person.email == email, Person.active.is_(True),
                                                  Person.anonymised_at.is_(None))).scalar_one_or_none()
    return None if person is None else details_mail(session, person)


def request_your_claims(email: str, language: str | None = None) -> bool:
    """Queue a `Your claims:` email when `email` has claims; True when one was queued."""
    return _send_once(email, "your_claims", _your_claims, language)


def request_details_link(email: str, language: str | None = None) -> bool:
    """Queue an `Update your details:` email when `email` is an active person in the register; True
    when one was queued."""
    return _send_once(email, "register_details", _details, language)
