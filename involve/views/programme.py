"""Read models of the involvement programme for the CLI and the pages: the Action Plan's actions
with their updates, an activity with its invitations and attendance, an invitation's written offer,
and the forums. Read-only."""
from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from involve.db import reader
from involve.errors import NotFound
from involve.services.activities import offer
from models import Activity, ActivityInvite, Forum, ForumMember, Person, PlanAction, PlanUpdate


def action_json(session: Session, row: PlanAction) -> dict:
    updates = session.execute(select(PlanUpdate).where(PlanUpdate.action_id == row.id)
                              .order_by(PlanUpdate.at, PlanUpdate.id)).scalars()
    return {"id": row.code, "work_area": row.work_area, "action": row.action, "outcome": row.outcome,
            "lead": row.lead, "timescale": row.timescale, "how_tracked": row.how_tracked, "status": row.status,
            "evidence_kinds": list(row.evidence_kinds or []),
            "updates": [{"at": u.at.isoformat(), "status": u.status, "note": u.note, "evidence": u.evidence,
                         "by": u.by} for u in updates]}


def plan_actions() -> list[dict]:
    """Every action in plan order, with its updates (oldest first)."""
    with reader() as session:
        rows = session.execute(select(PlanAction).order_by(PlanAction.position, PlanAction.code)).scalars().all()
        return [action_json(session, r) for r in rows]


def plan_action(code: str) -> dict:
    with reader() as session:
        row = session.execute(select(PlanAction).where(PlanAction.code == code.strip())).scalar_one_or_none()
        if row is None:
            raise NotFound(f"no action {code!r} in the action plan")
        return action_json(session, row)


def activity(reference: str) -> dict:
    """An activity: `reference`, `kind`, …, `invited` [{email, status}], `attended` [emails], claims, output."""
    with reader() as session:
        a = session.execute(select(Activity).where(Activity.reference == (reference or "").strip().upper())
                            ).scalar_one_or_none()
        if a is None:
            raise NotFound(f"no activity with reference {reference}")
        rows = session.execute(select(ActivityInvite, Person.email).join(Person, Person.id == ActivityInvite.person_id)
                               .where(ActivityInvite.activity_id == a.id).order_by(ActivityInvite.id)).all()
        forum = session.get(Forum, a.forum_id) if a.forum_id else None
        return {"reference": a.reference, "kind": a.kind, "title": a.title, "date": a.date.isoformat(),
                "start": a.start, "end": a.end, "borough": a.borough, "service": a.service, "action": a.action_code,
                "level": a.level, "programme": a.programme, "forum": forum.reference if forum else None,
                "invited": [{"email": email, "status": inv.status} for inv, email in rows],
                "attended": [email for inv, email in rows if inv.status == "attended"],
                "claims": [{"email": email, "claim": inv.claim_reference} for inv, email in rows
                           if inv.claim_reference],
                "output": a.output}


def invitation(session: Session, token) -> dict:
    """What an invitation's Accept/Decline page shows: the written offer and the invitation's status."""
    a = session.execute(select(Activity).where(Activity.reference == token.reference)).scalar_one_or_none()
    inv = session.get(ActivityInvite, (token.data or {}).get("invite_id"))
    if a is None or inv is None or inv.activity_id != a.id:
        raise NotFound("This link is not valid.")
    person = session.get(Person, inv.person_id)
    return dict(offer(a), status=inv.status, name=person.name if person else "")


def forums() -> list[dict]:
    with reader() as session:
        members = dict(session.execute(select(ForumMember.forum_id, func.count()).group_by(ForumMember.forum_id)).all())
        meetings = dict(session.execute(select(Activity.forum_id, func.count()).where(
            Activity.forum_id.is_not(None)).group_by(Activity.forum_id)).all())
        return [{"reference": f.reference, "name": f.name, "borough": f.borough, "service": f.service,
                 "contact": f.contact_email, "members": members.get(f.id, 0), "meetings": meetings.get(f.id, 0)}
                for f in session.execute(select(Forum).order_by(Forum.id)).scalars()]


def activities(limit: int = 200) -> list[dict]:
    """The latest activities (by date) with how many were invited, accepted and attended."""
    with reader() as session:
        rows = session.execute(select(Activity).order_by(Activity.date.desc(), Activity.id.desc()).limit(limit)
                               ).scalars().all()
        counts: dict[int, dict[str, int]] = {}
        if rows:
            for aid, status, n in session.execute(
                    select(ActivityInvite.activity_id, ActivityInvite.status, func.count())
                    .where(ActivityInvite.activity_id.in_([a.id for a in rows]))
                    .group_by(ActivityInvite.activity_id, ActivityInvite.status)):
                counts.setdefault(aid, {})[status] = int(n)
        return [{"reference": a.reference, "kind": a.kind, "title": a.title, "date": a.date, "borough": a.borough,
                 "invited": sum(counts.get(a.id, {}).values()), "accepted": counts.get(a.id, {}).get("accepted", 0),
                 "attended": counts.get(a.id, {}).get("attended", 0)} for a in rows]
