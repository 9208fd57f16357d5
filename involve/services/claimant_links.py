"""Links a person asks for about their own claims: `Your claims:` (after POST /claims/status).

The answer to the person asking is the same whether or not the address has claims, so nobody learns
who claims; only an address with claims gets an email."""
from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from involve import links
from involve.db import unit_of_work
from involve.domain.claim_schema import _email
from involve.mail.outbox import email_row, enqueue
from models import Claim, OutboxEmail

YOUR_CLAIMS_HOURS = 24
RESEND_MINUTES = 5
PATH = "/claims/yours/"


def request_your_claims(email: str, language: str | None = None) -> bool:
    """Queue a `Your claims:` email when `email` has claims; True when one was queued. A malformed
    address queues nothing (the page says the same either way). The email is in `language` (the one
    they chose on the page), else in their latest claim's language and format."""
    try:
        email = _email(email)
    except ValueError:
        return False
    with unit_of_work() as session:
        row = session.execute(select(Claim.reference, Claim.claimant_language, Claim.claimant_format)
                              .where(Claim.claimant_email == email).order_by(Claim.id.desc()).limit(1)).first()
        if row is None:
            return False
        latest = row.reference
        since = datetime.now(UTC) - timedelta(minutes=RESEND_MINUTES)
        recent = session.execute(select(OutboxEmail.id).where(
            OutboxEmail.template == "your_claims", OutboxEmail.to_addr == email,
            OutboxEmail.created_at >= since).limit(1)).first()
        if recent is not None:
            return False  # one link per address every few minutes: asking again cannot flood an inbox
        url = links.issue(session, action="your_claims", reference=latest, holder=email,
                          days=1, path=PATH)
        enqueue(session, [email_row(template="your_claims", to=email, reference=latest,
                                    context={"reference": latest, "url": url, "hours": YOUR_CLAIMS_HOURS},
                                    language=language or row.claimant_language, reading_format=row.claimant_format)])
        return True
