"""Panel training: sessions, bookings for accepted panel members, and recording attendance.

Nobody sits on a panel without training valid on the interview date. The recruitment flow books
an accepted member without it on the next session with space before the interview, or tells HR
and the co-ordinators at once when there is none. Attending sets the person's `panel_trained_on`
and creates a `training_received` claim for them to confirm (audit entity "training", reference
TRN-<id>; the claim waits in `awaiting_confirmation`, see involve/services/activity_claims.py).
"""
from __future__ import annotations

from collections import Counter
from datetime import date, datetime, time

from sqlalchemy import and_, func, or_, select, update
from sqlalchemy.orm import Session

from involve import audit, clock
from involve.db import reader, unit_of_work
from involve.domain.dates import london_today
from involve.domain.recruitment_transitions import move
from involve.errors import InvolveError, NotFound, WrongState
from involve.mail.outbox import email_row, enqueue
from involve.services.activity_claims import create_activity_claim
from involve.services.people import normalise_email, require_staff
from involve.services.recruitment import (
    RECRUITER_ROLES,
    long_date,
    note,
    per,
    rec_context,
    send,
    staff_to_alert,
)
from models import PanelMember, Person, Recruitment, TrainingBooking, TrainingSession

TAKES_PLACE = ("booked", "attended")


def trn(session_id: int) -> str:
    return f"TRN-{session_id}"


def add_session(*, day: date, start: str, end: str, capacity: int, by: str, title: str | None = None,
                now: datetime | None = None) -> TrainingSession:
    """A new session; every open recruitment becomes due, so waiting members get booked on it."""
    now = now or clock.now()
    try:
        if time.fromisoformat(end) <= time.fromisoformat(start) or len(start) != 5 or len(end) != 5:
            raise ValueError
    except ValueError:
        raise InvolveError("--start and --end are times HH:MM, and the end is after the start") from None
    if capacity < 1:
        raise InvolveError("--capacity must be at least 1")
    if day < london_today(now):
        raise InvolveError(f"{day.isoformat()} is in the past; a new session must be today or later")
    with unit_of_work() as session:
        by = require_staff(session, by, *RECRUITER_ROLES, doing="add panel training").email
        ts = TrainingSession(date=day, start=start, end=end, capacity=capacity, created_by=by, created_at=now,
                             title=(title or "").strip() or "Interview panel training", borough="trust_wide")
        session.add(ts)
        session.flush()
        session.execute(update(Recruitment).where(Recruitment.status == "open").values(due_at=now))
        audit.record(session, [audit.Change("training", trn(ts.id), "add", by, data={
            "date": day.isoformat(), "start": start, "end": end, "capacity": capacity})])
        return ts


def booked_count(session: Session, session_ids: list[int]) -> dict[int, int]:
    rows = session.execute(select(TrainingBooking.session_id, func.count()).where(
        TrainingBooking.session_id.in_(session_ids), TrainingBooking.status.in_(TAKES_PLACE))
        .group_by(TrainingBooking.session_id)).all()
    return {sid: n for sid, n in rows}


def ensure_booked(session: Session, rec: Recruitment, m: PanelMember, person: Person,
                  now: datetime) -> Counter:
    """Book `m` (accepted, without valid training) on the next session with space before the
    interview; a missed session frees the member for a new booking. Idempotent."""
    done: Counter = Counter()
    today = london_today(now)
    if m.training_session_id is not None:
        booking = session.execute(select(TrainingBooking, TrainingSession)
                                  .join(TrainingSession, TrainingSession.id == TrainingBooking.session_id)
                                  .where(TrainingBooking.session_id == m.training_session_id,
                                         TrainingBooking.person_id == person.id)).one_or_none()
        if booking is not None and (booking[0].status == "attended" or booking[1].date >= today):
            return done
        if booking is not None:
            booking[0].status = move("training_booking", "miss", booking[0].status)
        m.training_session_id = None  # the session passed without them: book the next one
    before = or_(TrainingSession.date < rec.interview_date,
                 and_(TrainingSession.date == rec.interview_date, TrainingSession.end <= rec.interview_start))
    stmt = (select(TrainingSession).where(TrainingSession.date >= today, before)
            .order_by(TrainingSession.date, TrainingSession.start, TrainingSession.id))
    stmt = stmt.with_for_update()
    sessions = list(session.execute(stmt).scalars())
    mine = {b.session_id: b for b in session.execute(select(TrainingBooking).where(
        TrainingBooking.person_id == person.id, TrainingBooking.status == "booked")).scalars()}
    counts = booked_count(session, [s.id for s in sessions])
    chosen = next((s for s in sessions if s.id in mine), None) or next(
        (s for s in sessions if counts.get(s.id, 0) < s.capacity), None)
    if chosen is None:
        if m.training_alerted_at is None:
            m.training_alerted_at = now
            ctx = dict(rec_context(rec), person=per(person.id), name=person.name)
            for who in staff_to_alert(session, rec):
                send(session, "recruitment_training_needed", who, rec.reference, ctx,
                     f"{rec.reference}:no-training:{per(person.id)}:{who}")
            note(session, rec.reference, "training_alert", person=per(person.id))
            done["alerts"] += 1
        return done
    if chosen.id not in mine:
        session.add(TrainingBooking(session_id=chosen.id, person_id=person.id, recruitment_id=rec.id,
                                    status="booked", booked_at=now))
    m.training_session_id = chosen.id
    ctx = dict(rec_context(rec), name=person.name, training_title=chosen.title,
               training_date=long_date(chosen.date), training_start=chosen.start, training_end=chosen.end)
    send(session, "recruitment_training_booked", person.email, rec.reference, ctx,
         f"{rec.reference}:training:{per(person.id)}:{trn(chosen.id)}")
    note(session, rec.reference, "book_training", person=per(person.id), session=trn(chosen.id))
    done["booked"] += 1
    return done


def attend(session_id: int, *, member: str, by: str,
           now: datetime | None = None) -> tuple[TrainingBooking, str]:
    """Record that a person attended a session: trained from that day, and a training_received
    claim (awaiting_confirmation) for them to confirm through the Confirm: link in their thanks
    email. Someone not booked is added to the session."""
    now = now or clock.now()
    with unit_of_work() as session:
        by = require_staff(session, by, *RECRUITER_ROLES, doing="record training attendance").email
        ts = session.get(TrainingSession, session_id)
        if ts is None:
            raise NotFound(f"no training session {session_id}")
        if ts.date > london_today(now):
            raise WrongState(f"{trn(ts.id)} is on {ts.date.isoformat()}; "
                             "record attendance on or after that day")
        email = normalise_email(member)
        person = session.execute(select(Person).where(Person.email == email)).scalar_one_or_none()
        if person is None:
            raise NotFound(f"{email} is not in the involvement register")
        booking = session.execute(select(TrainingBooking).where(TrainingBooking.session_id == ts.id,
                                                                TrainingBooking.person_id == person.id)
                                  ).scalar_one_or_none()
        if booking is None:
            booking = TrainingBooking(session_id=ts.id, person_id=person.id, status="booked", booked_at=now)
            session.add(booking)
        elif booking.status == "attended":
            raise WrongState(f"{email} is already recorded as attending {trn(ts.id)}")
        prepared = create_activity_claim(
            session, person=person, kind="training_received", title=ts.title, day=ts.date, start=ts.start,
            end=ts.end, borough=person.borough, service=None, lead_email=ts.created_by, reference=trn(ts.id),
            source="training", actor=by)
        claim_ref = prepared.reference
        booking.status = move("training_booking", "attend", booking.status, what=f"{email} at {trn(ts.id)}")
        booking.attended_at, booking.claim_reference = now, claim_ref
        if person.panel_trained_on is None or person.panel_trained_on < ts.date:
            person.panel_trained_on = ts.date
        session.execute(update(Recruitment).where(Recruitment.status == "open", Recruitment.id.in_(
            select(PanelMember.recruitment_id).where(PanelMember.person_id == person.id))).values(due_at=now))
        audit.record(session, [audit.Change("training", trn(ts.id), "attend", by, data={
            "person": per(person.id), "claim": claim_ref})])
        enqueue(session, [email_row(template="training_thanks", to=person.email, reference=claim_ref,
                                    context={"reference": claim_ref, "name": person.name,
                                             "session": trn(ts.id), "training_title": ts.title,
                                             "training_date": long_date(ts.date),
                                             "confirm_url": prepared.confirm_url,
                                             "withdraw_url": prepared.withdraw_url},
                                    dedupe_key=f"{trn(ts.id)}:thanks:{per(person.id)}",
                                    language=person.language, reading_format=person.preferred_format)])
        return booking, claim_ref


def list_sessions() -> list[dict]:
    with reader() as s:
        stmt = select(TrainingSession).order_by(TrainingSession.date, TrainingSession.start)
        sessions = list(s.execute(stmt).scalars())
        counts = booked_count(s, [t.id for t in sessions])
        return [{"id": t.id, "date": t.date.isoformat(), "start": t.start, "end": t.end,
                 "capacity": t.capacity,
                 "booked": counts.get(t.id, 0), "title": t.title} for t in sessions]
