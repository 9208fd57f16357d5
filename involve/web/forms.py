"""Form plumbing for the pages: CSRF tokens tied to a cookie, and sealed (encrypted) cookies.

CSRF: the cookie holds a random value; each form carries it signed (itsdangerous) in a hidden
field, and a POST is accepted only when the two match. Sealed cookies are Fernet-encrypted with
the data key (involve.crypto), so form answers such as bank details never sit in a cookie in clear.
"""
from __future__ import annotations

import hmac
import json
import secrets

from cryptography.fernet import InvalidToken
from fastapi import Request
from fastapi.responses import HTMLResponse
from itsdangerous import BadSignature, URLSafeTimedSerializer

from involve import crypto
from involve.settings import settings
from involve.web.i18n import _
from involve.web.pages import render_page

CSRF_COOKIE, CSRF_FIELD, CSRF_AGE = "involve_csrf", "csrf_token", 12 * 3600


def _csrf_signer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(settings.link_signing_keys, salt="involve-csrf")


def set_cookie(response, name: str, value: str, *, max_age: int, path: str = "/") -> None:
    response.set_cookie(name, value, max_age=max_age, path=path, httponly=True, samesite="lax",
                        secure=settings.base_url.startswith("https://"))


def render_form(request: Request, template: str, status_code: int = 200, **context) -> HTMLResponse:
    """Render a page holding POST forms: adds `csrf_token`, and sets the CSRF cookie if missing."""
    raw = request.cookies.get(CSRF_COOKIE)
    fresh = not raw or len(raw) > 64
    if fresh:
        raw = secrets.token_urlsafe(24)
    response = render_page(template, status_code, csrf_token=_csrf_signer().dumps(raw), **context)
    if fresh:
        set_cookie(response, CSRF_COOKIE, raw, max_age=CSRF_AGE)
    return response


def csrf_ok(request: Request, form) -> bool:
    raw, sent = request.cookies.get(CSRF_COOKIE), form.get(CSRF_FIELD)
    if not raw or not sent:
        return False
    try:
        value = _csrf_signer().loads(sent, max_age=CSRF_AGE)
    except BadSignature:
        return False
    return isinstance(value, str) and hmac.compare_digest(value, raw)


def csrf_failed() -> HTMLResponse:
    return render_page("message.html", 403, title=_("Sorry, we could not accept that form"),
                       message=_("This can happen if the page was open for a long time. "
                                 "Go back, reload the page and try again."))


def seal(data: dict) -> str:
    return crypto.fernet().encrypt(json.dumps(data, separators=(",", ":")).encode()).decode()


def unseal(token: str | None, max_age: int) -> dict | None:
    if not token:
        return None
    try:
        data = json.loads(crypto.fernet().decrypt(token.encode(), ttl=max_age))
    except (InvalidToken, ValueError, TypeError):
        return None
    return data if isinstance(data, dict) else None
