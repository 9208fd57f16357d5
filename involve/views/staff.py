"""Reading staff: the active member behind a session or a token, the staff list, who is away."""
from __future__ import annotations

from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from involve import clock
from involve.db import reader
from models import Staff


def active_staff(email: str) -> Staff | None:
    """The active member of staff with this (canonical) address, or None."""
    with reader() as s:
        member = s.execute(select(Staff).where(Staff.email == email)).scalar_one_or_none()
    return member if member is not None and member.active else None


def staff_dict(m: Staff, today: date) -> dict:
    """`staff list --json`: `away` is true while the person is away today; the period and delegate
    are given whenever one is set."""
    return {"email": m.email, "name": m.name, "roles": list(m.roles or []), "active": bool(m.active),
            "away": m.away_on(today), "away_from": m.away_from.isoformat() if m.away_from else None,
            "away_to": m.away_to.isoformat() if m.away_to else None, "delegate": m.away_delegate}


def list_staff() -> list[dict]:
    today = clock.now().date()
    with reader() as s:
        return [staff_dict(m, today) for m in s.execute(select(Staff).order_by(Staff.email)).scalars()]


def away_today(session: Session, today: date) -> dict[str, str | None]:
    """Active staff away on `today`: email -> delegate (or None), as involve/domain/approval.py wants."""
    stmt = select(Staff.email, Staff.away_delegate).where(
        Staff.active.is_(True), Staff.away_from <= today, Staff.away_to >= today)
    return {e: d for e, d in session.execute(stmt)}


def admin_emails() -> list[str]:
    """Active admins (what `make run` tells a newcomer; empty on a new database)."""
    with reader() as s:
        return sorted(m.email for m in s.execute(select(Staff).where(Staff.active.is_(True))).scalars()
                      if "admin" in (m.roles or []))
