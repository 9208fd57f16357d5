"""Who may change who holds which role, the register, and away dates: pure rules (no I/O).

    grant / remove roles, deactivate staff   an admin (and never the last admin's own admin role)
    change the involvement register          a coordinator, PPI lead or admin
    set someone's away dates and delegate    that person, a co-ordinator or an admin
    approver never payer                     finance is not granted to someone who approved a claim
                                             that is still open (not yet paid, rejected or withdrawn)

Who may approve / reject / ask / pay a claim is `involve/domain/approval.py`; this module uses its
role names so the two stay one rule.
"""
from __future__ import annotations

from collections.abc import Iterable
from datetime import date

from involve.domain.approval import APPROVER_ROLES, PAYER_ROLES, SECOND_APPROVER_ROLES, Actor

ROLE_ADMINS = ("admin",)
REGISTER_EDITORS = ("coordinator", "ppi_lead", "admin")
AWAY_SETTERS = ("coordinator", "admin")
# claim statuses in which an approval is still "open": the claim can still be paid
OPEN_AFTER_APPROVAL = ("awaiting_second_approval", "approved", "payment_failed")


def may_change_roles(actor: Actor, doing: str = "grant or remove roles") -> str | None:
    """None when `actor` may manage staff roles, else the one-sentence reason."""
    if not actor.active:
        return f"{actor.email} is not registered as active staff, so cannot {doing}"
    if not actor.has(*ROLE_ADMINS):
        return f"{actor.email} cannot {doing}: only an admin can"
    return None


def may_change_register(actor: Actor) -> str | None:
    if not actor.active:
        return f"{actor.email} is not registered as active staff, so cannot change the register"
    if not actor.has(*REGISTER_EDITORS):
        return f"{actor.email} cannot change the register: that needs the role {' or '.join(REGISTER_EDITORS)}"
    return None


def may_set_away(actor: Actor, whose: str) -> str | None:
    if not actor.active:
        return f"{actor.email} is not registered as active staff, so cannot set away dates"
    if actor.email != whose and not actor.has(*AWAY_SETTERS):
        return f"{actor.email} cannot set away dates for {whose}: only they, a co-ordinator or an admin can"
    return None


def segregation_conflict(new_roles: Iterable[str], approved_open: Iterable[str], email: str) -> str | None:
    """Refuse giving a payer role to someone who approved claims that can still be paid."""
    if not set(new_roles) & set(PAYER_ROLES):
        return None
    refs = sorted(approved_open)
    if not refs:
        return None
    shown = ", ".join(refs[:3]) + (f" and {len(refs) - 3} more" if len(refs) > 3 else "")
    return (f"{email} approved claims not yet paid ({shown}); finance cannot be granted until they are "
            f"paid or closed, so nobody pays what they approved")


def last_admin_refusal(email: str, admins: Iterable[str]) -> str | None:
    """Refuse leaving the database without an active admin."""
    if set(admins) <= {email}:
        return f"{email} is the only admin; make someone else an admin first"
    return None


def delegate_refusal(person: str, person_roles: Iterable[str], delegate: str | None,
                     delegate_roles: Iterable[str] | None, start: date, end: date) -> str | None:
    """A delegate must be someone else, active staff, able to do the absent person's approving work."""
    if end < start:
        return "--to is before --from"
    if delegate is None:
        return None
    if delegate == person:
        return "the delegate must be someone else"
    if delegate_roles is None:
        return f"{delegate} is not registered as active staff, so cannot be the delegate"
    held, theirs = set(person_roles), set(delegate_roles)
    needs = []
    if "coordinator" in held and "coordinator" not in theirs:
        needs.append("coordinator")
    elif "lead" in held and not theirs & set(APPROVER_ROLES):
        needs.append("lead or coordinator")
    if "ppi_lead" in held and not theirs & set(SECOND_APPROVER_ROLES):
        needs.append("ppi_lead or coordinator")
    if needs:
        return f"{delegate} cannot cover for {person}: the delegate needs the role {' and '.join(needs)}"
    return None
