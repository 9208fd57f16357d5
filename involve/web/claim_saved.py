"""Save and come back for the claim form: the "Save and come back later" button emails a
`Continue your claim:` link (30 days); opening it restores the answers into this browser."""
from __future__ import annotations

from fastapi.concurrency import run_in_threadpool

from involve.errors import InvolveError, LinkInvalid
from involve.services.claim_drafts import DRAFT_DAYS, load_draft, save_draft
from involve.web.forms import seal, unseal
from involve.web.i18n import _, current, said
from involve.web.pages import render_page


async def save(state: dict, step: str):
    """Email the link; the page says where it went (or why it could not)."""
    email = state["v"].get("email", "")
    try:
        await run_in_threadpool(save_draft, email=email, form_id=state["id"], sealed=seal(state), step=step,
                                language=state["v"].get("language") or current(),
                                reading_format=state["v"].get("format"))
    except InvolveError as exc:
        return render_page("message.html", 400, title=_("We need your email address"), message=said(exc),
                           link={"href": "/claim/about-you", "text": _("Give your email address")})
    return render_page("message.html", title=_("Your claim is saved"),
                       message=_("We have emailed %(email)s a link to carry on with your claim. It works for "
                                 "%(days)s days. Your claim has not been sent yet.", email=email, days=DRAFT_DAYS))


async def restore(signed: str) -> tuple[dict | None, str, object]:
    """(the saved state, the page to return to, an error page or None)."""
    try:
        sealed, step = await run_in_threadpool(load_draft, signed)
    except LinkInvalid as exc:
        return None, "", render_page("message.html", 410, title=_("This link cannot be used"), message=str(exc),
                                     link={"href": "/claim", "text": _("Start again")})
    state = unseal(sealed, DRAFT_DAYS * 24 * 3600 + 3600)
    if not state or "id" not in state:
        return None, "", render_page("message.html", 410, title=_("This link cannot be used"),
                                     message=_("The saved claim has expired."),
                                     link={"href": "/claim", "text": _("Start again")})
    return state, step, None
