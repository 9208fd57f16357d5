"""Involvement activities: staff organise one, invite people from the register (a written offer
with Accept:/Decline: links), record who attended and the outputs of monitoring activities.

Attendance creates the person's pre-filled claim awaiting their confirmation through
`involve.services.activity_claims.create_activity_claim` - the one mechanism panels and training
use too. Each action is one `unit_of_work()` with its audit record (entity "activity", ACT-…,
people as PER-<id>) and its emails queued in the outbox.
"""
from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from involve import audit, clock, links
from involve.db import unit_of_work
from involve.domain.amounts import fee_amount
from involve.domain.claim_schema import ACTIVITY_KINDS, _hhmm
from involve.domain.dates import london_today
from involve.domain.names import BOROUGH_NAMES
from involve.domain.policy import load_policy
from involve.domain.programme import (
    MAX_TEXT,
    ORGANISER_ROLES,
    ROLE_FOR_KIND,
    answer,
    can_attend,
    check_activity,
    free_text,
    minutes_between,
    one_line_text,
)
from involve.errors import InvolveError, NotAllowed, NotFound
from involve.mail.outbox import email_row, enqueue
from involve.services.activity_claims import create_activity_claim
from involve.services.people import normalise_email, require_staff
from involve.services.recruitment import long_date, per
from involve.services.register import details_url
from models import Activity, ActivityInvite, Forum, Person, PlanAction

LINK_DAYS = 60
ACCEPT, DECLINE = "activity_accept", "activity_decline"  # link actions (involve/web/activity_links.py)


@dataclass(frozen=True)
class ActivityIn:
    kind: str
    title: str
    day: date
    start: str
    end: str
    borough: str
    service: str | None = None
    action: str | None = None
    level: str | None = None
    programme: str | None = None
    forum: str | None = None
    invite: tuple[str, ...] = ()


def _clean_title(title: str) -> str:
    return one_line_text(title, "the title", limit=300)


def _times(start: str, end: str) -> int:
    for value in (start, end):
        try:
            _hhmm(value)
        except ValueError:
            raise InvolveError(f"not a time: {value!r} (use HH:MM, 24-hour)") from None
    return minutes_between(start, end)


def _next_reference(session: Session, year: int) -> str:
    prefix = f"ACT-{year}-"
    last = session.execute(select(func.max(Activity.reference))
                           .where(Activity.reference.like(prefix + "%"))).scalar_one_or_none()
    return f"{prefix}{(int(last.rsplit('-', 1)[1]) + 1) if last else 1:04d}"


def _people(session: Session, emails: tuple[str, ...]) -> list[Person]:
    wanted = list(dict.fromkeys(normalise_email(e) for e in emails))
    found = {p.email: p for p in session.execute(select(Person).where(Person.email.in_(wanted))).scalars()}
    for email in wanted:
        p = found.get(email)
        if p is None:
            raise NotFound(f"{email} is not in the involvement register; add them first (involve register add)")
        if not p.active or p.anonymised_at is not None:
            raise NotAllowed(f"{email} is no longer active in the involvement register")
    return [found[e] for e in wanted]


def offer(a: Activity) -> dict:
    """The written offer of an invitation: role, time, fee per the payments policy, travel."""
    period = load_policy().period_for(a.date)
    fee = fee_amount(kind=a.kind, minutes=minutes_between(a.start, a.end), claimed=True, period=period)
    pence = (period.car_per_mile * 100).quantize(Decimal("1"))
    return {"reference": a.reference, "title": a.title, "kind_label": a.kind.replace("_", " "),
            "role": ROLE_FOR_KIND.get(a.kind, ROLE_FOR_KIND["other"]), "day": long_date(a.date),
            "start": a.start, "end": a.end, "borough": BOROUGH_NAMES.get(a.borough, a.borough),
            "service": a.service or "", "fee": f"£{fee:.2f}", "mileage": f"{pence}p"}


def create(data: ActivityIn, *, by: str, now: datetime | None = None) -> Activity:
    """Create an activity and invite the people named (all checked first; nothing half-written)."""
    now = now or clock.now()
    title = _clean_title(data.title)
    data = replace(data, service=one_line_text(data.service, "the service", required=False))
    _times(data.start, data.end)
    check_activity(kind=data.kind, kinds=ACTIVITY_KINDS, borough=data.borough, level=data.level,
                   programme=data.programme, day=data.day, today=london_today(now), inviting=bool(data.invite))
    for attempt in range(5):
        try:
            with unit_of_work() as session:
                return _create(session, data, title, by, now)
        except IntegrityError:  # two creates took the same number at once (PostgreSQL): take the next
            if attempt == 4:
                raise
    raise AssertionError("unreachable")


def _create(session: Session, data: ActivityIn, title: str, by: str, now: datetime) -> Activity:
    by = require_staff(session, by, *ORGANISER_ROLES, doing="organise an involvement activity").email
    if data.action and session.execute(select(PlanAction.id).where(
            PlanAction.code == data.action.strip())).scalar_one_or_none() is None:
        raise NotFound(f"no action {data.action!r} in the action plan (involve plan list)")
    forum_id = None
    if data.forum:
        forum = session.execute(select(Forum).where(Forum.reference == data.forum.strip().upper())
                                ).scalar_one_or_none()
        if forum is None:
            raise NotFound(f"no forum {data.forum}")
        if data.kind != "forum_meeting":
            raise InvolveError("only a forum_meeting belongs to a forum")
        forum_id = forum.id
    people = _people(session, data.invite)
    a = Activity(reference=_next_reference(session, london_today(now).year), kind=data.kind, title=title,
                 date=data.day, start=data.start, end=data.end, borough=data.borough,
                 service=(data.service or "").strip() or None, action_code=(data.action or "").strip() or None,
                 level=data.level, programme=data.programme, forum_id=forum_id, created_by=by, created_at=now)
    session.add(a)
    session.flush()
    audit.record(session, [audit.Change("activity", a.reference, "create", by, None, "planned", data={
        "kind": a.kind, "date": a.date.isoformat(), "borough": a.borough, "action": a.action_code,
        "level": a.level, "programme": a.programme, "forum": data.forum})])
    if people:
        _invite(session, a, people, by, now)
    return a


def _invite(session: Session, a: Activity, people: list[Person], by: str, now: datetime) -> None:
    terms = offer(a)
    rows = []
    for person in people:
        inv = ActivityInvite(activity_id=a.id, person_id=person.id, status="invited", invited_at=now)
        session.add(inv)
        session.flush()
        link = {"reference": a.reference, "holder": person.email, "data": {"invite_id": inv.id}, "days": LINK_DAYS}
        ctx = dict(terms, name=person.name, accept_url=links.issue(session, action=ACCEPT, **link),
                   decline_url=links.issue(session, action=DECLINE, **link), details_url=details_url(session, person))
        rows.append(email_row(template="activity_invitation", to=person.email, reference=a.reference, context=ctx,
                              dedupe_key=f"{a.reference}:invite:{per(person.id)}", language=person.language,
                              reading_format=person.preferred_format))
    enqueue(session, rows)
    audit.record(session, [audit.Change("activity", a.reference, "invite", by,
                                        data={"people": [per(p.id) for p in people]})])


def lock_activity(session: Session, reference: str) -> Activity:
    stmt = select(Activity).where(Activity.reference == (reference or "").strip().upper())
    if session.get_bind().dialect.name != "sqlite":
        stmt = stmt.with_for_update()
    a = session.execute(stmt).scalar_one_or_none()
    if a is None:
        raise NotFound(f"no activity with reference {reference}")
    return a


def respond(signed: str, verb: str, *, now: datetime | None = None) -> Activity:
    """The invited person accepts or declines through their link (it works once)."""
    now = now or clock.now()
    with unit_of_work() as session:
        token = links.load(session, signed, for_update=True)
        if token.action != (ACCEPT if verb == "accept" else DECLINE):
            raise NotAllowed("this link is for a different action")
        a = lock_activity(session, token.reference)
        inv = session.get(ActivityInvite, (token.data or {}).get("invite_id"))
        person = session.get(Person, inv.person_id) if inv else None
        if inv is None or inv.activity_id != a.id or person is None or person.email != token.holder_email:
            raise NotAllowed("this link is for a different invitation")
        before, inv.status, inv.responded_at = inv.status, answer(inv.status, verb), now
        links.use(token)
        audit.record(session, [audit.Change("activity", a.reference, verb, per(person.id), before, inv.status,
                                            data={"person": per(person.id)})])
        return a


def attend(reference: str, *, person: str, by: str, now: datetime | None = None) -> str:
    """Record that an invited person attended; returns their new claim's reference (awaiting
    their confirmation; the thank-you email carries its Confirm:/Withdraw: links)."""
    now = now or clock.now()
    with unit_of_work() as session:
        a = lock_activity(session, reference)
        by = require_staff(session, by, *ORGANISER_ROLES, doing="record attendance").email
        email = normalise_email(person)
        row = session.execute(select(ActivityInvite, Person).join(Person, Person.id == ActivityInvite.person_id)
                              .where(ActivityInvite.activity_id == a.id, Person.email == email)).one_or_none()
        inv, who = row if row else (None, None)
        can_attend(inv.status if inv else None, email, a.reference, a.date, london_today(now))
        prepared = create_activity_claim(
            session, person=who, kind=a.kind, title=a.title, day=a.date, start=a.start, end=a.end,
            borough=a.borough, service=a.service, lead_email=a.created_by, reference=a.reference,
            source="activity", actor=by)
        before, inv.status, inv.attended_at, inv.claim_reference = inv.status, "attended", now, prepared.reference
        audit.record(session, [audit.Change("activity", a.reference, "attend", by, before, "attended", data={
            "person": per(who.id), "claim": prepared.reference})])
        ctx = dict(offer_basics(a), name=who.name, claim_reference=prepared.reference,
                   confirm_url=prepared.confirm_url, withdraw_url=prepared.withdraw_url)
        enqueue(session, [email_row(template="activity_thanks", to=who.email, reference=a.reference, context=ctx,
                                    dedupe_key=f"{a.reference}:thanks:{per(who.id)}", language=who.language,
                                    reading_format=who.preferred_format)])
        return prepared.reference


def offer_basics(a: Activity) -> dict:
    return {"reference": a.reference, "title": a.title, "day": long_date(a.date)}


def record_output(reference: str, *, text: str, by: str) -> Activity:
    """The output of a monitoring activity (a ward-visit report, survey results, CPA-audit findings)."""
    text = free_text(text, "the output", limit=MAX_TEXT * 5)
    with unit_of_work() as session:
        a = lock_activity(session, reference)
        by = require_staff(session, by, *ORGANISER_ROLES, doing="record an activity's output").email
        replaced = a.output is not None
        a.output = text
        audit.record(session, [audit.Change("activity", a.reference, "output", by,
                                            data={"characters": len(text), "replaced": replaced})])
        return a
