"""Staff sign-in: an email magic link (signed with itsdangerous, salt "involve-signin", expiring),
then a signed session cookie (HttpOnly, SameSite=Lax). The link's GET shows a button; only its POST
signs in, so a mail scanner opening the link does nothing.
"""
from __future__ import annotations

import secrets

from fastapi import APIRouter, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import RedirectResponse
from itsdangerous import BadSignature, URLSafeTimedSerializer

from involve.domain.emails import InvalidEmail, canonical_email
from involve.services.staff_tokens import SIGN_IN_MINUTES, queue_sign_in_link
from involve.settings import settings
from involve.views.staff import active_staff
from involve.web.forms import csrf_failed, csrf_ok, render_form, set_cookie
from involve.web.i18n import N_, _
from involve.web.pages import render_page
from involve.web.security import rate_limited
from models import Staff

router = APIRouter(tags=["staff"], include_in_schema=False)
LINK_AGE, SESSION_AGE = SIGN_IN_MINUTES * 60, 8 * 3600
SESSION_COOKIE = "involve_staff"
NAV = [("/staff/claims", N_("Claims"), ("coordinator", "ppi_lead", "lead")),
       ("/staff/finance", N_("Finance"), ("finance",)),
       ("/staff/recruitment", N_("Recruitment"), ("hr", "coordinator")),
       ("/staff/activities", N_("Activities"), ("coordinator", "ppi_lead", "lead")),
       ("/staff/plan", N_("Action plan"), ("coordinator", "ppi_lead"))]


def _links() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(settings.link_signing_keys, salt="involve-signin")


def _sessions() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(settings.link_signing_keys, salt="involve-staff-session")


async def signed_in(request: Request) -> Staff | None:
    """The active staff member this request's session cookie belongs to, or None."""
    try:
        data = _sessions().loads(request.cookies.get(SESSION_COOKIE, ""), max_age=SESSION_AGE)
    except BadSignature:
        return None
    return await run_in_threadpool(active_staff, data.get("e", "")) if isinstance(data, dict) else None


def nav_items(member: Staff, current: str = "") -> list[dict]:
    return [{"href": href, "text": _(text), "current": current.startswith(href)}
            for href, text, roles in NAV if member.has_role(*roles)]


def staff_page(request: Request, member: Staff, template: str, status_code: int = 200, **context):
    return render_form(request, template, status_code, staff=member,
                       nav_items=nav_items(member, request.url.path), **context)


@router.get("/staff")
async def staff_home(request: Request):
    member = await signed_in(request)
    if member is None:
        return RedirectResponse("/staff/sign-in", status_code=303)
    items = nav_items(member)
    if items:
        return RedirectResponse(items[0]["href"], status_code=303)
    return staff_page(request, member, "message.html", title=_("You have no staff role yet"),
                      message=_("Ask the involvement co-ordinator to give you a role."))


@router.get("/staff/sign-in")
async def sign_in_page(request: Request):
    return render_form(request, "staff_sign_in.html", v={}, errors={})


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
    url_for = lambda e: f"{settings.base_url.rstrip('/')}/staff/sign-in/{_links().dumps({'e': e, 'n': code})}"  # noqa: E731
    if await run_in_threadpool(queue_sign_in_link, email, code, url_for):
        if wake := getattr(request.app.state, "wake", None):
            wake()
    return render_page("staff_check_email.html", email=email, code=code, minutes=LINK_AGE // 60)


def _link_email(token: str) -> str | None:
    try:
        data = _links().loads(token, max_age=LINK_AGE)
    except BadSignature:  # includes SignatureExpired
        return None
    return data.get("e") if isinstance(data, dict) else None


def _bad_link():
    return render_page("message.html", 410, title=_("This sign-in link cannot be used"),
                       message=_("It may be more than %(n)s minutes old. Ask for a new link.",
                                 n=LINK_AGE // 60),
                       link={"href": "/staff/sign-in", "text": _("Get a new sign-in link")})


@router.get("/staff/sign-in/{token}", dependencies=[rate_limited("signin")])
async def sign_in_link(request: Request, token: str):
    email = _link_email(token)
    if email is None:
        return _bad_link()
    return render_form(request, "staff_sign_in_confirm.html", email=email)


@router.post("/staff/sign-in/{token}", dependencies=[rate_limited("signin")])
async def sign_in(request: Request, token: str):
    form = await request.form()
    if not csrf_ok(request, form):
        return csrf_failed()
    email = _link_email(token)
    if email is None or await run_in_threadpool(active_staff, email) is None:
        return _bad_link()
    response = RedirectResponse("/staff", status_code=303)
    set_cookie(response, SESSION_COOKIE, _sessions().dumps({"e": email}), max_age=SESSION_AGE)
    return response


@router.post("/staff/sign-out")
async def sign_out():
    response = RedirectResponse("/staff/sign-in", status_code=303)
    response.delete_cookie(SESSION_COOKIE, path="/")
    return response
