"""Staff credentials: sign-in links queued by email, and signed API tokens.

Signed staff API tokens: `involve staff token --email E` prints one; the API accepts it as
`Authorization: Bearer <token>`.

A token is an itsdangerous signature (keys: INVOLVE_LINK_KEY, salt "involve-api") over the
staff email and an expiry time. Nothing is stored: a token stops working when it expires, when
the person is no longer active staff, or when the link key that signed it is removed from
INVOLVE_LINK_KEY (rotating the data key does not touch it).
The roles are read from the database on every request, so removing a role takes effect at once.
"""
from __future__ import annotations

import time

from itsdangerous import BadSignature, URLSafeSerializer
from sqlalchemy import select

from involve import audit
from involve.db import unit_of_work
from involve.errors import InvolveError, NotAllowed
from involve.mail.outbox import email_row, enqueue
from involve.services.people import normalise_email
from involve.settings import settings
from models import Staff

SIGN_IN_MINUTES = 30  # how long an emailed sign-in link works

SALT = "involve-api"


class BadToken(InvolveError):
    """The bearer token is missing, forged or expired (HTTP 401)."""


def _serializer() -> URLSafeSerializer:
    return URLSafeSerializer(settings.link_signing_keys, salt=SALT)


def issue_token(email: str, *, days: int = 90) -> str:
    """A token for an active staff member, valid for `days`; the issue is audited."""
    if not 1 <= days <= 366:
        raise InvolveError("--days must be from 1 to 366")
    email = normalise_email(email)
    with unit_of_work() as session:
        member = session.execute(select(Staff).where(Staff.email == email)).scalar_one_or_none()
        if member is None or not member.active:
            raise NotAllowed(f"{email} is not registered as staff")
        expires = int(time.time()) + days * 86400
        audit.record(session, [audit.Change("staff", email, "api_token", email, data={"expires": expires})])
    return _serializer().dumps({"e": email, "x": expires})


def staff_from_token(token: str) -> str:
    """The staff email a valid, unexpired token was issued to; BadToken otherwise."""
    try:
        data = _serializer().loads(token)
    except BadSignature:
        raise BadToken("the bearer token is not valid") from None
    if not isinstance(data, dict) or not isinstance(data.get("e"), str) or not isinstance(data.get("x"), int):
        raise BadToken("the bearer token is not valid")
    if data["x"] < time.time():
        raise BadToken("the bearer token has expired; ask for a new one (involve staff token)")
    return data["e"]


def queue_sign_in_link(email: str, code: str, url_for) -> bool:
    """Queue a sign-in email for an active member of staff (`url_for(email)` makes the link); False,
    and nothing queued, for anyone else (the page answers the same either way)."""
    with unit_of_work() as session:
        member = session.execute(select(Staff).where(Staff.email == email)).scalar_one_or_none()
        if member is None or not member.active:
            return False
        url = url_for(email)
        enqueue(session, [email_row(template="staff_signin", to=email, reference=code,
                                    context={"reference": code, "name": member.name, "signin_url": url,
                                             "minutes": SIGN_IN_MINUTES})])
        return True
