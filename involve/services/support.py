"""Support for people who take part: buddy / mentor pairings, admin-support requests (room, copying,
travel booking) with a status, and the unmet-need log. Every change is one audited transaction;
free text (descriptions, outcomes) stays in its table and out of the audit trail."""
from __future__ import annotations

from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from involve import audit, clock
from involve.db import unit_of_work
from involve.domain.dates import london_today
from involve.domain.programme import (
    MAX_TEXT,
    PROGRAMME_ROLES,
    SUPPORT_KINDS,
    SUPPORT_STATUSES,
    free_text,
    one_line_text,
)
from involve.errors import InvolveError, NotFound, WrongState
from involve.services.people import normalise_email, require_staff
from involve.services.recruitment import per
from models import BuddyPair, Person, SupportRequest, UnmetNeed


def _text(value: str | None, what: str, *, required: bool = True, limit: int = MAX_TEXT) -> str | None:
    return (one_line_text if limit <= 200 else free_text)(value, what, required=required, limit=limit)


def _person(session: Session, email: str) -> Person:
    email = normalise_email(email)
    person = session.execute(select(Person).where(Person.email == email)).scalar_one_or_none()
    if person is None:
        raise NotFound(f"{email} is not in the involvement register")
    return person


def add_unmet_need(*, description: str, service: str, by: str, asked_by: str | None = None,
                   outcome: str | None = None, on: date | None = None) -> UnmetNeed:
    description = _text(description, "a description")
    service = _text(service, "the service", limit=200)
    with unit_of_work() as session:
        by = require_staff(session, by, *PROGRAMME_ROLES, doing="record unmet need").email
        need = UnmetNeed(description=description, service=service, asked_by=_text(asked_by, "who asked",
                                                                                  required=False, limit=200),
                         outcome=_text(outcome, "the outcome", required=False),
                         recorded_on=on or london_today(clock.now()), created_by=by)
        session.add(need)
        session.flush()
        audit.record(session, [audit.Change("unmet_need", f"UN-{need.id}", "add", by, data={"service": service})])
        return need


def pair(*, buddy: str, person: str, by: str, on: date | None = None) -> BuddyPair:
    with unit_of_work() as session:
        by = require_staff(session, by, *PROGRAMME_ROLES, doing="pair a buddy or mentor").email
        b, p = _person(session, buddy), _person(session, person)
        if b.id == p.id:
            raise InvolveError("a person cannot be their own buddy")
        if session.execute(select(BuddyPair.id).where(BuddyPair.buddy_person_id == b.id, BuddyPair.person_id == p.id,
                                                      BuddyPair.ended_on.is_(None))).first():
            raise InvolveError(f"{b.email} is already {p.email}'s buddy")
        row = BuddyPair(buddy_person_id=b.id, person_id=p.id, started_on=on or london_today(clock.now()),
                        created_by=by)
        session.add(row)
        session.flush()
        audit.record(session, [audit.Change("buddy", f"BUD-{row.id}", "pair", by, None, "active",
                                            data={"buddy": per(b.id), "person": per(p.id)})])
        return row


def end_pair(pair_id: int, *, by: str) -> BuddyPair:
    with unit_of_work() as session:
        by = require_staff(session, by, *PROGRAMME_ROLES, doing="end a buddy pairing").email
        row = session.get(BuddyPair, pair_id)
        if row is None:
            raise NotFound(f"no buddy pairing BUD-{pair_id}")
        if row.ended_on is not None:
            raise WrongState(f"BUD-{pair_id} has already ended")
        row.ended_on = london_today(clock.now())
        audit.record(session, [audit.Change("buddy", f"BUD-{row.id}", "end", by, "active", "ended")])
        return row


def request_support(*, person: str, kind: str, description: str, by: str) -> SupportRequest:
    if kind not in SUPPORT_KINDS:
        raise InvolveError(f"unknown kind {kind!r}: choose from {', '.join(SUPPORT_KINDS)}")
    description = _text(description, "a description")
    with unit_of_work() as session:
        by = require_staff(session, by, *PROGRAMME_ROLES, doing="record an admin-support request").email
        p = _person(session, person)
        row = SupportRequest(person_id=p.id, kind=kind, description=description, status="open",
                             requested_on=london_today(clock.now()), created_by=by)
        session.add(row)
        session.flush()
        audit.record(session, [audit.Change("support", f"SUP-{row.id}", "request", by, None, "open",
                                            data={"person": per(p.id), "kind": kind})])
        return row


def set_support_status(request_id: int, *, status: str, by: str) -> SupportRequest:
    if status not in SUPPORT_STATUSES:
        raise InvolveError(f"unknown status {status!r}: choose from {', '.join(SUPPORT_STATUSES)}")
    with unit_of_work() as session:
        by = require_staff(session, by, *PROGRAMME_ROLES, doing="update an admin-support request").email
        row = session.get(SupportRequest, request_id)
        if row is None:
            raise NotFound(f"no support request SUP-{request_id}")
        if row.status != "open":
            raise WrongState(f"SUP-{request_id} is {row.status}; it cannot be changed")
        before, row.status = row.status, status
        row.closed_at = clock.now() if status != "open" else None
        audit.record(session, [audit.Change("support", f"SUP-{row.id}", "status", by, before, status)])
        return row
