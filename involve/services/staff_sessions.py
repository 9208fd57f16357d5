"""Staff sign-in: single-use emailed links bound to the browser that asked, and server-side sessions.

- A sign-in link carries a random token; the database keeps only its hash, the address, the hash
  of the asking browser's cookie and an expiry (SIGN_IN_MINUTES). Using it marks it used, in the
  same transaction that opens the session, so it works once, and only in that browser.
- A session cookie carries another random token; the row (its hash) ends after
  `settings.staff_session_idle_minutes` without a request, when the person signs out, or when
  they are deactivated. The roles are read from the database on every request.
"""
from __future__ import annotations

import hashlib
import hmac
import secrets
from datetime import datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from involve import audit, clock
from involve.db import reader, unit_of_work
from involve.mail.outbox import email_row, enqueue
from involve.services.people import normalise_email
from involve.settings import settings
from models import Staff, StaffSession, StaffSignInLink

SIGN_IN_MINUTES = 15
TOUCH_EVERY = timedelta(seconds=60)  # a session's last_seen_at is written at most this often


def digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def new_browser_token() -> str:
    return secrets.token_urlsafe(24)


def _active(session: Session, email: str) -> Staff | None:
    member = session.execute(select(Staff).where(Staff.email == email)).scalar_one_or_none()
    return member if member is not None and member.active else None


def queue_sign_in_link(email: str, browser: str, code: str, url_for) -> bool:
    """Queue a sign-in email for an active member of staff (`url_for(token)` makes the link); False,
    and nothing queued, for anyone else (the page answers the same either way)."""
    try:
        email = normalise_email(email)
    except Exception:  # noqa: BLE001 - the page already checked the shape; answer the same anyway
        return False
    with unit_of_work() as session:
        member = _active(session, email)
        if member is None:
            return False
        token, now = secrets.token_urlsafe(24), clock.now()
        session.add(StaffSignInLink(id=digest(token), staff_email=email, browser=digest(browser), created_at=now,
                                    expires_at=now + timedelta(minutes=SIGN_IN_MINUTES)))
        enqueue(session, [email_row(template="staff_signin", to=email, reference=code,
                                    context={"reference": code, "name": member.name, "signin_url": url_for(token),
                                             "minutes": SIGN_IN_MINUTES})])
        return True


def _usable(link: StaffSignInLink | None, browser: str | None, now: datetime) -> str | None:
    """None when the link can be used by this browser now, else why not (a short code)."""
    if link is None:
        return "unknown"
    if link.used_at is not None:
        return "used"
    if link.expires_at < now:
        return "expired"
    if not browser or not hmac.compare_digest(link.browser, digest(browser)):
        return "other_browser"
    return None


def check_sign_in_link(token: str, browser: str | None) -> tuple[str | None, str | None]:
    """(email, None) when the link is usable in this browser; (None, why) otherwise. Changes nothing."""
    with reader() as session:
        link = session.get(StaffSignInLink, digest(token))
        why = _usable(link, browser, clock.now())
        return (link.staff_email, None) if why is None else (None, why)


def use_sign_in_link(token: str, browser: str | None) -> tuple[str | None, str | None]:
    """Use the link once: (a new session token, None), or (None, why not)."""
    with unit_of_work() as session:
        stmt = select(StaffSignInLink).where(StaffSignInLink.id == digest(token))
        if session.get_bind().dialect.name != "sqlite":
            stmt = stmt.with_for_update()
        link = session.execute(stmt).scalar_one_or_none()
        now = clock.now()
        why = _usable(link, browser, now)
        if why is None and _active(session, link.staff_email) is None:
            why = "inactive"
        if why is not None:
            return None, why
        link.used_at = now
        session_token = secrets.token_urlsafe(32)
        session.add(StaffSession(id=digest(session_token), staff_email=link.staff_email, created_at=now,
                                 last_seen_at=now))
        audit.record(session, [audit.Change("staff", link.staff_email, "sign_in", link.staff_email)])
        return session_token, None


def session_email(session_token: str | None) -> str | None:
    """The address of the active member of staff behind a session cookie, or None (expired after
    inactivity, revoked, unknown, or the person is no longer active)."""
    if not session_token:
        return None
    now, idle = clock.now(), timedelta(minutes=settings.staff_session_idle_minutes)
    key = digest(session_token)
    with reader() as session:
        row = session.get(StaffSession, key)
        if row is None or row.revoked_at is not None or row.last_seen_at + idle < now:
            return None
        if _active(session, row.staff_email) is None:
            return None
        email, stale = row.staff_email, row.last_seen_at + TOUCH_EVERY < now
    if stale:
        with unit_of_work() as session:
            session.execute(update(StaffSession).where(StaffSession.id == key).values(last_seen_at=now))
    return email


def sign_out(session_token: str | None) -> None:
    if not session_token:
        return
    with unit_of_work() as session:
        row = session.get(StaffSession, digest(session_token))
        if row is not None and row.revoked_at is None:
            row.revoked_at = clock.now()
            audit.record(session, [audit.Change("staff", row.staff_email, "sign_out", row.staff_email)])


def revoke_all(session: Session, email: str) -> None:
    """End every session of `email` (in the caller's transaction: deactivation)."""
    session.execute(update(StaffSession).where(StaffSession.staff_email == email,
                                               StaffSession.revoked_at.is_(None)).values(revoked_at=clock.now()))
