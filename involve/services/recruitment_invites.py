"""Panel selection: who is asked next, and the invitation emails with their Accept:/Decline: links.

Called by the recruitment flow's step (`recruitment_panel.advance`) inside its transaction. The
register is read once per step; the pure rules (`involve.domain.recruitment`) decide. A person
is invited to a recruitment at most once (unique recruitment_id + person_id), so a repeated step
cannot invite anybody twice; the email's dedupe key says the same to the outbox.
"""
from __future__ import annotations

from collections import Counter
from datetime import date, datetime, timedelta

from sqlalchemy import func, select, true
from sqlalchemy.orm import Session

from involve import audit, links
from involve.domain.dates import LONDON
from involve.domain.diversity import categories_of
from involve.domain.recruitment import (
    HOLDS_SEAT,
    Candidate,
    RecruitmentRules,
    Vacancy,
    add_months,
    respond_by,
    shortlist,
)
from involve.mail.outbox import email_row, enqueue
from involve.services.recruitment import long_date, note, per, rec_context, send, staff_to_alert
from involve.services.register import details_url
from models import PanelMember, Person, Recruitment


def month_bounds(day: date) -> tuple[date, date]:
    first = day.replace(day=1)
    return first, add_months(first, 1) - timedelta(days=1)


def seats_held_that_month(session: Session, rec: Recruitment) -> dict[int, int]:
    """{person_id: seats held in other open or closed recruitments interviewing that calendar month}."""
    lo, hi = month_bounds(rec.interview_date)
    rows = session.execute(
        select(PanelMember.person_id, func.count())
        .join(Recruitment, Recruitment.id == PanelMember.recruitment_id)
        .where(Recruitment.interview_date.between(lo, hi), Recruitment.id != rec.id,
               PanelMember.status.in_(HOLDS_SEAT)).group_by(PanelMember.person_id)).all()
    return {person_id: n for person_id, n in rows}


def candidate(p: Person, panels: int = 0) -> Candidate:
    """The facts the selection rules look at, from a register row."""
    unavailable = set()
    for d in p.unavailable or []:
        try:
            unavailable.add(date.fromisoformat(d))
        except (TypeError, ValueError):
            continue
    return Candidate(person_id=p.id, borough=p.borough, active=p.active and p.anonymised_at is None,
                     consent=p.recruitment_consent, unavailable=frozenset(unavailable),
                     conflicts=tuple(p.conflicts or ()), categories=categories_of(p),
                     panels_that_month=panels,
                     trained_on=p.panel_trained_on)


def vacancy(rec: Recruitment) -> Vacancy:
    return Vacancy(interview_date=rec.interview_date, borough=rec.borough,
                   teams=tuple(t for t in (rec.service, rec.title) if t))


def fill_seats(session: Session, rec: Recruitment, members: list[PanelMember], r: RecruitmentRules,
               now: datetime) -> Counter:
    """Invite the next candidates into the open seats; appends the new members to `members`."""
    done: Counter = Counter()
    seats = rec.panel_size - sum(m.status in HOLDS_SEAT for m in members)
    if seats <= 0:
        return done
    asked = {m.person_id for m in members}
    sitting = [m.person_id for m in members if m.status in HOLDS_SEAT]
    panel = {p.id: p for p in session.execute(select(Person).where(Person.id.in_(sitting))).scalars()}
    pool = session.execute(select(Person).where(Person.recruitment_consent.is_(True), Person.active.is_(True),
                                                Person.id.not_in(asked) if asked else true())).scalars()
    held = seats_held_that_month(session, rec)
    covered = frozenset().union(*(categories_of(p) for p in panel.values())) if panel else frozenset()
    picks = shortlist([candidate(p, held.get(p.id, 0)) for p in pool], vacancy(rec), r, seats=seats,
                      panel_categories=covered, panel_has_borough=any(p.borough == rec.borough
                                                                      for p in panel.values()))
    people = {p.id: p for p in session.execute(select(Person).where(
        Person.id.in_([c.person_id for c in picks]))).scalars()}
    for c in picks:
        person = people[c.person_id]
        m = PanelMember(recruitment_id=rec.id, person_id=person.id, status="invited", invited_at=now,
                        respond_by=respond_by(now, rec.interview_date, r))
        session.add(m)
        session.flush()
        members.append(m)
        data, days = {"member_id": m.id}, r.invitation_days + 1
        link = {"reference": rec.reference, "holder": person.email, "data": data, "days": days}
        ctx = dict(rec_context(rec), name=person.name, panel_size=rec.panel_size,
                   respond_by=long_date(m.respond_by.astimezone(LONDON).date()),
                   accept_url=links.issue(session, action="accept", **link),
                   decline_url=links.issue(session, action="decline", **link),
                   details_url=details_url(session, person))
        send(session, "recruitment_invitation", person.email, rec.reference, ctx,
             f"{rec.reference}:invite:{per(person.id)}")
        note(session, rec.reference, "invite", person=per(person.id), to="invited",
             respond_by=m.respond_by.isoformat())
        done["invited"] += 1
    short = seats - len(picks)
    if short > 0 and not any(m.status == "invited" for m in members) and rec.shortfall_alerted_at is None:
        rec.shortfall_alerted_at = now
        filled = rec.panel_size - seats + len(picks)
        enqueue(session, [email_row(template="recruitment_shortfall", to=who, reference=rec.reference,
                                    context=dict(rec_context(rec), filled=filled, panel_size=rec.panel_size),
                                    dedupe_key=f"{rec.reference}:shortfall:{who}")
                          for who in staff_to_alert(session, rec)])
        audit.record(session, [audit.Change("recruitment", rec.reference, "shortfall_alert", audit.SYSTEM,
                                            data={"filled": filled, "panel_size": rec.panel_size})])
        done["alerts"] += 1
    return done
