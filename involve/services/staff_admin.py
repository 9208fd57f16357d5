"""Managing staff under the authority rules (involve/domain/authority.py): the first admin, granting
and removing roles, deactivating, away dates with a delegate. One transaction each; every change is
audited, and role changes are emailed to every admin."""
from __future__ import annotations

import secrets
from datetime import date

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from involve import audit, clock
from involve.db import unit_of_work
from involve.domain import authority
from involve.errors import InvolveError, NotAllowed, NotFound, WrongState
from involve.mail.outbox import email_row, enqueue
from involve.services.people import actor, add_staff, normalise_email
from involve.services.reminders import reroute_for_absences
from involve.services.staff_sessions import revoke_all
from models import Claim, Staff
from models.people import ROLES


def _member(session: Session, email: str) -> Staff:
    member = session.execute(select(Staff).where(Staff.email == email)).scalar_one_or_none()
    if member is None:
        raise NotFound(f"{email} is not registered as staff")
    return member


def _require_admin(session: Session, by: str | None, doing: str) -> str:
    if not by:
        raise NotAllowed(f"--by is required: the admin who is acting, to {doing}")
    who = actor(session, by)
    refusal = authority.may_change_roles(who, doing)
    if refusal:
        raise NotAllowed(refusal)
    return who.email


def _admins(session: Session) -> list[str]:
    return sorted(m.email for m in session.execute(select(Staff).where(Staff.active.is_(True))).scalars()
                  if "admin" in (m.roles or []))


def _tell_admins(session: Session, member: Staff, change: str, by: str) -> None:
    reference = f"STAFF-{member.id}"
    ctx = {"reference": reference, "email": member.email, "name": member.name, "change": change,
           "roles": list(member.roles or []), "active": member.active, "by": by}
    enqueue(session, [email_row(template="staff_roles_changed", to=a, reference=reference, context=ctx,
                                dedupe_key=f"{reference}:roles:{secrets.token_hex(6)}:{a}")
                      for a in _admins(session)])


def approved_open(session: Session, email: str) -> list[str]:
    """Claims `email` approved (either approval) that can still be paid."""
    stmt = select(Claim.reference).where(Claim.status.in_(authority.OPEN_AFTER_APPROVAL),
                                         (Claim.approved_by == email) | (Claim.second_approved_by == email))
    return list(session.execute(stmt.limit(50)).scalars())


def init_admin(email: str, name: str | None = None) -> Staff:
    """The first admin of a database with no staff at all."""
    email = normalise_email(email)
    with unit_of_work() as session:
        if session.execute(select(func.count()).select_from(Staff)).scalar_one():
            raise WrongState("staff already exist; an admin adds staff with `involve staff add --by ADMIN`")
        member = add_staff(session, email=email, name=(name or email.split("@")[0]).strip(), roles=["admin"],
                           by=email)
        return member


def grant(email: str, name: str, roles: list[str], *, by: str | None) -> Staff:
    """Add a member of staff or give them more roles (an admin only)."""
    with unit_of_work() as session:
        by = _require_admin(session, by, "grant roles")
        email = normalise_email(email)
        bad = [r for r in roles if r not in ROLES]
        if bad or not roles:
            raise InvolveError(f"unknown role {bad[0] if bad else '(none given)'}: choose from {', '.join(ROLES)}")
        conflict = authority.segregation_conflict(roles, approved_open(session, email), email)
        if conflict:
            raise NotAllowed(conflict)
        before = session.execute(select(Staff).where(Staff.email == email)).scalar_one_or_none()
        had = set(before.roles or []) if before is not None and before.active else set()
        member = add_staff(session, email=email, name=name, roles=roles, by=by)
        added = sorted(set(member.roles) - had)
        _tell_admins(session, member, f"roles given: {', '.join(added) or 'none new'}", by)
        return member


def remove_role(email: str, role: str, *, by: str | None) -> Staff:
    with unit_of_work() as session:
        by = _require_admin(session, by, "remove roles")
        member = _member(session, normalise_email(email))
        if role not in (member.roles or []):
            raise WrongState(f"{member.email} does not hold the role {role}")
        if role == "admin":
            refusal = authority.last_admin_refusal(member.email, _admins(session))
            if refusal:
                raise WrongState(refusal)
        member.roles = sorted(set(member.roles) - {role})
        audit.record(session, [audit.Change("staff", member.email, "remove_role", by, data={"role": role,
                                                                                             "roles": member.roles})])
        _tell_admins(session, member, f"role removed: {role}", by)
        return member


def deactivate(email: str, *, by: str | None) -> Staff:
    with unit_of_work() as session:
        by = _require_admin(session, by, "deactivate staff")
        member = _member(session, normalise_email(email))
        if not member.active:
            raise WrongState(f"{member.email} is already inactive")
        if "admin" in (member.roles or []):
            refusal = authority.last_admin_refusal(member.email, _admins(session))
            if refusal:
                raise WrongState(refusal)
        member.active = False
        revoke_all(session, member.email)
        audit.record(session, [audit.Change("staff", member.email, "deactivate", by, "active", "inactive")])
        _tell_admins(session, member, "deactivated (signed out everywhere)", by)
        return member


def set_away(email: str, start: date, end: date, delegate: str | None, *, by: str | None) -> Staff:
    """Away from `start` to `end` (inclusive); claims routed to them go to `delegate` meanwhile. When the
    absence covers today, claims waiting on them are re-sent to the delegate at once."""
    with unit_of_work() as session:
        if not by:
            raise NotAllowed("--by is required: the person, a co-ordinator or an admin")
        who = actor(session, by)
        member = _member(session, normalise_email(email))
        refusal = authority.may_set_away(who, member.email)
        if refusal:
            raise NotAllowed(refusal)
        delegate = normalise_email(delegate) if delegate else None
        cover = session.execute(select(Staff).where(Staff.email == delegate)).scalar_one_or_none() \
            if delegate else None
        refusal = authority.delegate_refusal(member.email, member.roles or [], delegate,
                                             (cover.roles or []) if cover is not None and cover.active else None,
                                             start, end)
        if refusal:
            raise InvolveError(refusal)
        member.away_from, member.away_to, member.away_delegate = start, end, delegate
        audit.record(session, [audit.Change("staff", member.email, "away", who.email, data={
            "from": start.isoformat(), "to": end.isoformat(), "delegate": delegate})])
        session.flush()
        reroute_for_absences(session, clock.now().date())
        return member
