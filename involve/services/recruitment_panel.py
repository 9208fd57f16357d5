"""The recruitment flow's step: advance every open recruitment that is due, one transaction each.

A step, for one recruitment (locked, FOR UPDATE SKIP LOCKED on PostgreSQL):
expire unanswered invitations → invite the next candidates into open seats (or tell HR nobody
is left) → book accepted members without valid training on the next session with space (or
tell HR and the co-ordinators there is none) → send job-description and questions requests →
send reminders → set `due_at`, the next time anything can change without someone acting.

Every step is guarded by state (member status, `*_at` columns, unique constraints) and every
email has a dedupe key, so running a step twice — after a crash, a restart, or on two workers —
repeats nothing. People's answers (accept, decline) set `due_at` to now, so the next runner cycle
reacts at once.
"""
from __future__ import annotations

import logging
from collections import Counter
from datetime import UTC, datetime, time, timedelta

from sqlalchemy import func, select
from sqlalchemy.exc import InterfaceError, OperationalError
from sqlalchemy.orm import Session

from involve import audit, clock, links
from involve.db import reader, unit_of_work
from involve.domain.dates import LONDON, london_today
from involve.domain.recruitment import (
    HOLDS_SEAT,
    RecruitmentRules,
    reminder_day,
    training_valid_on,
)
from involve.domain.recruitment_transitions import can, move
from involve.domain.text import printable
from involve.services import recruitment_invites as invites
from involve.services import training
from involve.services.recruitment import note, per, rec_context, rules, send
from models import PanelMember, Person, Recruitment

log = logging.getLogger("involve.recruitment")

REMINDER_TIME = time(8, 0)  # London time on the reminder day


def due_count(now: datetime | None = None) -> int:
    """How many open recruitments the flow should look at now (cheap: one indexed count)."""
    now = now or clock.now()
    with reader() as s:
        return s.execute(select(func.count()).select_from(Recruitment).where(
            Recruitment.status == "open", Recruitment.due_at <= now)).scalar_one()


def advance_due(*, now: datetime | None = None, limit: int = 100, everything: bool = False) -> dict[str, int]:
    """Advance up to `limit` due open recruitments (all open ones with `everything`); returns counts."""
    now = now or clock.now()
    policy_rules = rules()
    with reader() as s:
        stmt = select(Recruitment.id).where(Recruitment.status == "open")
        if not everything:
            stmt = stmt.where(Recruitment.due_at <= now)
        ids = list(s.execute(stmt.order_by(Recruitment.due_at, Recruitment.id).limit(limit)).scalars())
    totals: Counter = Counter()
    for rec_id in ids:
        try:
            with unit_of_work() as session:
                stmt = select(Recruitment).where(Recruitment.id == rec_id, Recruitment.status == "open")
                stmt = stmt.with_for_update(skip_locked=True)
                rec = session.execute(stmt).scalar_one_or_none()
                if rec is None or (not everything and (rec.due_at is None or rec.due_at > now)):
                    continue  # another worker has it, or did it already
                totals.update(advance(session, rec, policy_rules, now))
                totals["recruitments"] += 1
        except (OperationalError, InterfaceError):
            raise  # the database is not answering: the whole step retries later
        except Exception as exc:  # noqa: BLE001 - one recruitment that fails never stops the others
            _set_aside(rec_id, exc, now)
            totals["set_aside"] += 1
    return dict(totals)


SET_ASIDE_FOR = timedelta(hours=1)


def _set_aside(rec_id: int, exc: Exception, now: datetime) -> None:
    """Record why recruitment `rec_id` could not be advanced (audit `set_aside`, with the reason) and
    look at it again in an hour, so it never blocks the others or is retried in a tight loop."""
    reason = (printable(str(exc)) or type(exc).__name__)[:500]
    log.warning("recruitment %s set aside: %s", rec_id, reason)
    with unit_of_work() as session:
        rec = session.get(Recruitment, rec_id)
        if rec is None:
            return
        rec.due_at = now + SET_ASIDE_FOR
        audit.record(session, [audit.Change("recruitment", rec.reference, "set_aside", audit.SYSTEM,
                                            reason=f"{type(exc).__name__}: {reason}")])


def advance(session: Session, rec: Recruitment, r: RecruitmentRules, now: datetime) -> Counter:
    """One step for one locked recruitment, in the caller's transaction."""
    done: Counter = Counter()
    today = london_today(now)
    members = list(session.execute(select(PanelMember).where(PanelMember.recruitment_id == rec.id)
                                   .order_by(PanelMember.id)).scalars())
    for m in members:
        if can("panel_member", "expire", m.status) and m.respond_by <= now:
            m.status = move("panel_member", "expire", m.status)
            note(session, rec.reference, "expire", person=per(m.person_id),
                 **{"from": "invited", "to": "expired"})
            done["expired"] += 1
    if today <= rec.interview_date:
        done.update(invites.fill_seats(session, rec, members, r, now))
    people = {p.id: p for p in session.execute(select(Person).where(
        Person.id.in_([m.person_id for m in members]))).scalars()}
    for m in members:
        if m.status != "accepted":
            continue
        person = people[m.person_id]
        if not training_valid_on(person.panel_trained_on, rec.interview_date, r.panel_training_valid_months):
            done.update(training.ensure_booked(session, rec, m, person, now))
        done.update(_requests(session, rec, m, person, now))
        if _reminder_at(rec, r) <= now and today <= rec.interview_date and m.reminded_at is None:
            m.reminded_at = now
            send(session, "recruitment_reminder", person.email, rec.reference,
                 dict(rec_context(rec), name=person.name), f"{rec.reference}:reminder:{per(person.id)}")
            note(session, rec.reference, "remind", person=per(person.id))
            done["reminders"] += 1
    rec.due_at = next_due(rec, members, people, r, now)
    return done


def _requests(session: Session, rec: Recruitment, m: PanelMember, person: Person, now: datetime) -> Counter:
    """The job-description and interview-questions requests, once each per accepted member."""
    done: Counter = Counter()
    days = max(1, (rec.interview_date - london_today(now)).days + 1)
    base = dict(rec_context(rec), name=person.name)
    if rec.job_description_draft and m.jd_requested_at is None:
        m.jd_requested_at = now
        url = links.issue(session, action="comment", reference=rec.reference, holder=person.email,
                          data={"member_id": m.id}, days=days)
        send(session, "recruitment_jd_request", person.email, rec.reference,
             dict(base, job_description=rec.job_description_draft, comment_url=url),
             f"{rec.reference}:jd:{per(person.id)}")
        note(session, rec.reference, "jd_request", person=per(person.id))
        done["jd_requests"] += 1
    if m.questions_requested_at is None:
        m.questions_requested_at = now
        url = links.issue(session, action="propose", reference=rec.reference, holder=person.email,
                          data={"member_id": m.id}, days=days)
        send(session, "recruitment_questions_request", person.email, rec.reference,
             dict(base, propose_url=url), f"{rec.reference}:questions:{per(person.id)}")
        note(session, rec.reference, "questions_request", person=per(person.id))
        done["question_requests"] += 1
    return done


def _reminder_at(rec: Recruitment, r: RecruitmentRules) -> datetime:
    return datetime.combine(reminder_day(rec.interview_date, r), REMINDER_TIME, tzinfo=LONDON).astimezone(UTC)


def next_due(rec: Recruitment, members: list[PanelMember], people: dict[int, Person], r: RecruitmentRules,
             now: datetime) -> datetime | None:
    """The next moment the recruitment can move without anyone acting, or None (people's answers
    and new training sessions set `due_at` themselves)."""
    if london_today(now) > rec.interview_date:
        return None
    times = [m.respond_by for m in members if m.status == "invited"]
    accepted = [m for m in members if m.status == "accepted"]
    if any(m.reminded_at is None for m in accepted):
        times.append(max(_reminder_at(rec, r), now + timedelta(seconds=1)))
    seats_open = sum(m.status in HOLDS_SEAT for m in members) < rec.panel_size
    months = r.panel_training_valid_months
    untrained = any(m.training_session_id is None and m.person_id in people and not training_valid_on(
        people[m.person_id].panel_trained_on, rec.interview_date, months) for m in accepted)
    if (seats_open and not any(m.status == "invited" for m in members)) or untrained:
        times.append(now + timedelta(hours=r.recheck_hours))
    return min(times) if times else None
