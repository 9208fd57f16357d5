"""Staff sign-in: an emailed single-use link (15 minutes) that works only in the browser that asked
for it (a cookie set on the sign-in page), then a server-side session (services/staff_sessions.py)
held in an HttpOnly, SameSite=Lax cookie (Secure when the base URL is https) that ends after
inactivity or at sign-out. The link's GET shows a button; only its POST signs in, so a mail scanner
opening the link does nothing.
"""
from __future__ import annotations

import secrets

from fastapi import APIRouter, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import RedirectResponse

from involve.domain.emails import InvalidEmail, canonical_email
from involve.services import staff_sessions
from involve.services.staff_sessions import SIGN_IN_MINUTES
from involve.settings import settings
from involve.views.staff import active_staff
from involve.web.forms import csrf_failed, csrf_ok, render_form, set_cookie
from involve.web.i18n import N_, _
from involve.web.pages import render_page
from involve.web.security import rate_limited
from models import Staff

router = APIRouter(tags=["staff"], include_in_schema=False)
SESSION_COOKIE, BROWSER_COOKIE = "involve_staff", "involve_browser"
BROWSER_AGE = 30 * 86400
NAV = [("/staff/claims", N_("Claims"), ("coordinator", "ppi_lead", "lead")),
       ("/staff/finance", N_("Finance"), ("finance",)),
       ("/staff/register", N_("Register"), ("coordinator", "ppi_lead", "admin")),
       ("/staff/recruitment", N_("Recruitment"), ("hr", "coordinator")),
       ("/staff/activities", N_("Activities"), ("coordinator", "ppi_lead", "lead")),
       ("/staff/plan", N_("Action plan"), ("coordinator", "ppi_lead")),
       ("/staff/people", N_("Staff"), ("admin",)),
       ("/staff/away", N_("Away"), ())]


async def signed_in(request: Request) -> Staff | None:
    """The active staff member this request's session belongs to, or None."""
    email = await run_in_threadpool(staff_sessions.session_email, request.cookies.get(SESSION_COOKIE))
    return await run_in_threadpool(active_staff, email) if email else None


def nav_items(member: Staff, current: str = "") -> list[dict]:
    return [{"href": href, "text": _(text), "current": current.startswith(href)}
            for href, text, roles in NAV if not roles or member.has_role(*roles)]


def staff_page(request: Request, member: Staff, template: str, status_code: int = 200, **context):
    return render_form(request, template, status_code, staff=member,
                       nav_items=nav_items(member, request.url.path), **context)


@router.get("/staff")
async def staff_home(request: Request):
    member = await signed_in(request)
    if member is None:
        return RedirectResponse("/staff/sign-in", status_code=303)
    items = [i for i in nav_items(member) if i["href"] != "/staff/away"]
    if items:
        return RedirectResponse(items[0]["href"], status_code=303)
    return staff_page(request, member, "message.html", title=_("You have no staff role yet"),
                      message=_("Ask the involvement co-ordinator to give you a role."))


def _with_browser_cookie(request: Request, response, browser: str):
    if request.cookies.get(BROWSER_COOKIE) != browser:
        set_cookie(response, BROWSER_COOKIE, browser, max_age=BROWSER_AGE)
    return response


def _browser(request: Request) -> str:
    raw = request.cookies.get(BROWSER_COOKIE) or ""
    return raw if 16 <= len(raw) <= 64 else staff_sessions.new_browser_token()


@router.get("/staff/sign-in")
async def sign_in_page(request: Request):
    return _with_browser_cookie(request, render_form(request, "staff_sign_in.html", v={}, errors={}),
                                _browser(request))


@router.post("/staff/sign-in", dependencies=[rate_limited("signin")])
async def sign_in_request(request: Request):
    form = await request.form()
    if not csrf_ok(request, form):
        return csrf_failed()
    email = str(form.get("email") or "").strip()
    try:
        email = canonical_email(email)
    except InvalidEmail:
        errors = {"email": _("Enter your work email address, like name@nhs.net")}
        return render_form(request, "staff_sign_in.html", 400, v={"email": email}, errors=errors,
                           error_list=[{"text": errors["email"], "href": "#email"}])
    code = "SIGNIN-" + secrets.token_hex(3).upper()
    browser = _browser(request)
    url_for = lambda token: f"{settings.base_url.rstrip('/')}/staff/sign-in/{token}"  # noqa: E731
    if await run_in_threadpool(staff_sessions.queue_sign_in_link, email, browser, code, url_for):
        if wake := getattr(request.app.state, "wake", None):
            wake()
    response = render_page("staff_check_email.html", email=email, code=code, minutes=SIGN_IN_MINUTES)
    return _with_browser_cookie(request, response, browser)


BAD_LINK = {
    "used": N_("This link has already been used. Each sign-in link works once."),
    "expired": N_("It is more than %(n)s minutes old."),
    "other_browser": N_("Open the link in the same browser you asked for it from."),
}


def _bad_link(why: str | None):
    message = _(BAD_LINK.get(why or "", N_("It is not a valid sign-in link.")), n=SIGN_IN_MINUTES)
    return render_page("message.html", 410, title=_("This sign-in link cannot be used"),
                       message=message + " " + _("Ask for a new link."),
                       link={"href": "/staff/sign-in", "text": _("Get a new sign-in link")})


@router.get("/staff/sign-in/{token}", dependencies=[rate_limited("signin")])
async def sign_in_link(request: Request, token: str):
    email, why = await run_in_threadpool(staff_sessions.check_sign_in_link, token,
                                         request.cookies.get(BROWSER_COOKIE))
    if email is None:
        return _bad_link(why)
    return render_form(request, "staff_sign_in_confirm.html", email=email)


@router.post("/staff/sign-in/{token}", dependencies=[rate_limited("signin")])
async def sign_in(request: Request, token: str):
    form = await request.form()
    if not csrf_ok(request, form):
        return csrf_failed()
    session_token, why = await run_in_threadpool(staff_sessions.use_sign_in_link, token,
                                                 request.cookies.get(BROWSER_COOKIE))
    if session_token is None:
        return _bad_link(why)
    response = RedirectResponse("/staff", status_code=303)
    set_cookie(response, SESSION_COOKIE, session_token,
               max_age=settings.staff_session_idle_minutes * 60 * 16)  # the server ends it sooner when idle
    return response


@router.post("/staff/sign-out")
async def sign_out(request: Request):
    """The header's sign-out button (no CSRF field there; the SameSite cookie is not sent cross-site)."""
    await run_in_threadpool(staff_sessions.sign_out, request.cookies.get(SESSION_COOKIE))
    response = RedirectResponse("/staff/sign-in", status_code=303)
    response.delete_cookie(SESSION_COOKIE, path="/")
    return response
