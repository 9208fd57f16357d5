"""Save and come back: a claim form's answers (already sealed with the data key by the web layer) are
kept in a `Continue your claim:` link emailed to the person, valid for 30 days. Nothing is stored in
clear: the link's row holds only the sealed answers."""
from __future__ import annotations

from involve import links
from involve.db import reader, unit_of_work
from involve.domain.claim_schema import _email
from involve.domain.languages import N_
from involve.errors import InvolveError, LinkInvalid
from involve.mail.outbox import email_row, enqueue

DRAFT_DAYS = 30
PATH = "/claim/continue/"


def save_draft(*, email: str, form_id: str, sealed: str, step: str, language: str | None = None,
               reading_format: str | None = None) -> None:
    """Email a `Continue your claim:` link, in `language` and `reading_format` (the form's answers)."""
    try:
        email = _email(email)
    except ValueError:
        raise InvolveError(N_("Enter your email address so we can send you a link to your claim")) from None
    reference = f"FORM-{form_id[:10]}"
    with unit_of_work() as session:
        url = links.issue(session, action="continue_claim", reference=reference, holder=email,
                          data={"sealed": sealed, "step": step}, days=DRAFT_DAYS, path=PATH)
        enqueue(session, [email_row(template="claim_saved", to=email, reference=reference,
                                    context={"reference": reference, "url": url, "days": DRAFT_DAYS},
                                    language=language, reading_format=reading_format)])


def load_draft(signed: str) -> tuple[str, str]:
    """(the sealed answers, the page to go back to) behind a `Continue your claim:` link."""
    with reader() as session:
        token = links.load(session, signed)
        if token.action != "continue_claim" or not token.data:
            raise LinkInvalid("This link is not valid.")
        return token.data["sealed"], token.data.get("step", "about-you")
