"""Reading staff: the active member behind a session, a sign-in request or a token."""
from __future__ import annotations

from sqlalchemy import select

from involve.db import reader
from models import Staff


def active_staff(email: str) -> Staff | None:
    """The active member of staff with this (canonical) address, or None."""
    with reader() as s:
        member = s.execute(select(Staff).where(Staff.email == email)).scalar_one_or_none()
    return member if member is not None and member.active else None
