"""Public pages where a person gives their email address and is sent a link; the page answers the
same whether or not the address is known, so nobody learns who claims or who is in the register:

    GET/POST /claims/status    a `Your claims:` link (involve/web/claimant.py), if the address has claims
    GET/POST /your-details     an `Update your details:` link to their own page
                               (involve/web/register_links.py), if the address is in the register

Both POSTs share one rate limit (INVOLVE_RATE_LIMIT_STATUS); the sending is
involve/services/claimant_links.py (at most one email of each kind per address every few minutes).
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from fastapi import APIRouter, Request
from fastapi.concurrency import run_in_threadpool

from involve.services.claimant_links import request_details_link, request_your_claims
from involve.web.forms import render_form
from involve.web.i18n import N_, _, current, explicit
from involve.web.pages import render_page
from involve.web.security import rate_limited

router = APIRouter(tags=["claimant"], include_in_schema=False)


@dataclass(frozen=True)
class AskForLink:
    """A public page where a person gives their email and is sent a link (the page says the same
    whether or not the address is known): /claims/status and /your-details."""
    path: str
    send: Callable[[str, str | None], bool]  # involve.services.claimant_links: queue the email if the address is known
    heading: str
    intro: str
    hint: str
    sent: str  # the answer, with %(email)s


YOUR_CLAIMS = AskForLink(
    "/claims/status", request_your_claims, N_("See your claims"),
    N_("We will email you a link to a page showing each claim you have made, where it has got to, when you "
       "should be paid, any receipts we still need, and a statement of what we have paid you."),
    N_("Use the email address you gave on your claim."),
    N_("If %(email)s has claims with us, we have sent it a link to see them. The link works for 24 hours."))
YOUR_DETAILS = AskForLink(
    "/your-details", request_details_link, N_("Update your details"),
    N_("If you are in our involvement register, we will email you a link to your own page. There you can "
       "change whether we may invite you to interview panels, when you are available, any support you need, "
       "the language and format we write to you in, and the bank account we pay you into."),
    N_("Use the email address we have for you, the one our invitations come to."),
    N_("If %(email)s is in our involvement register, we have sent it a link to your details. The link works "
       "once, for 14 days."))


def _ask_page(request: Request, ask: AskForLink, status_code: int = 200, **context):
    return render_form(request, "ask_link.html", status_code, ask=ask, **({"v": {}, "errors": {},
                                                                            "error_list": []} | context))


async def _ask(request: Request, ask: AskForLink):
    """No CSRF check here on purpose: the only effect is an email to the address given, which anyone
    could ask for directly, and a script or form elsewhere must be able to ask for the link."""
    form = await request.form()
    email = str(form.get("email") or "").strip()[:320]
    if "@" not in email or "." not in email.rsplit("@", 1)[-1]:
        errors = {"email": _("Enter your email address, like name@example.com")}
        return _ask_page(request, ask, 400, v={"email": email}, errors=errors,
                         error_list=[{"text": errors["email"], "href": "#email"}])
    # in the language chosen on this page (if they chose one), else their own
    await run_in_threadpool(ask.send, email, current() if explicit.get() else None)
    if wake := getattr(request.app.state, "wake", None):
        wake()
    return render_page("ask_link_sent.html", ask=ask, email=email)


@router.get("/claims/status")
async def status_page(request: Request):
    return _ask_page(request, YOUR_CLAIMS)


@router.post("/claims/status", dependencies=[rate_limited("status")])
async def status_request(request: Request):
    return await _ask(request, YOUR_CLAIMS)


@router.get("/your-details")
async def details_page(request: Request):
    return _ask_page(request, YOUR_DETAILS)


@router.post("/your-details", dependencies=[rate_limited("status")])  # one count with /claims/status
async def details_request(request: Request):
    return await _ask(request, YOUR_DETAILS)
