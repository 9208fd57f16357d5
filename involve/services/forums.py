"""User forums: one per service or borough, with members from the register and meetings (activities
of kind `forum_meeting`). Each month the forum-report flow emails the payments report's figures to
every forum's contact (`send_monthly_report`)."""
from __future__ import annotations

import csv
from pathlib import Path

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from involve import audit
from involve.db import unit_of_work
from involve.domain.claim_schema import BOROUGHS
from involve.domain.languages import N_
from involve.domain.names import BOROUGH_NAMES
from involve.domain.programme import PROGRAMME_ROLES, one_line_text
from involve.errors import InvolveError, NotFound
from involve.mail.outbox import email_row, enqueue
from involve.services.people import normalise_email, require_staff
from involve.services.recruitment import per
from models import Forum, ForumMember, OutboxEmail, Person

# (report metric, label in the email (translated there), money or a count)
REPORTED = (("claims_submitted", N_("Claims for activities in the month"), "count"),
            ("payments_made", N_("Payments made"), "count"), ("people_paid", N_("People paid"), "count"),
            ("paid_total", N_("Money paid"), "money"), ("fee_paid_total", N_("Involvement fees paid"), "money"),
            ("expenses_paid_total", N_("Expenses paid"), "money"))


def _next_reference(session: Session) -> str:
    n = session.execute(select(func.count()).select_from(Forum)).scalar_one()
    return f"FRM-{n + 1:03d}"


def create(*, name: str, borough: str, service: str | None, by: str, contact: str | None = None) -> Forum:
    name = one_line_text(name, "the forum's name")
    service = one_line_text(service, "the service", required=False)
    if borough not in BOROUGHS:
        raise InvolveError(f"unknown borough {borough!r}: choose from {', '.join(BOROUGHS)}")
    with unit_of_work() as session:
        by = require_staff(session, by, *PROGRAMME_ROLES, doing="set up a user forum").email
        contact = normalise_email(contact) if contact else by
        if session.execute(select(Forum.id).where(func.lower(Forum.name) == name.lower())).first():
            raise InvolveError(f"there is already a forum called {name!r}")
        forum = Forum(reference=_next_reference(session), name=name, borough=borough,
                      service=(service or "").strip() or None, contact_email=contact, created_by=by)
        session.add(forum)
        session.flush()
        audit.record(session, [audit.Change("forum", forum.reference, "create", by, data={
            "borough": borough, "service": forum.service})])
        return forum


def _forum(session: Session, reference: str) -> Forum:
    forum = session.execute(select(Forum).where(Forum.reference == (reference or "").strip().upper())
                            ).scalar_one_or_none()
    if forum is None:
        raise NotFound(f"no forum {reference}")
    return forum


def add_member(reference: str, *, email: str, by: str) -> Forum:
    with unit_of_work() as session:
        by = require_staff(session, by, *PROGRAMME_ROLES, doing="add a forum member").email
        forum = _forum(session, reference)
        email = normalise_email(email)
        person = session.execute(select(Person).where(Person.email == email)).scalar_one_or_none()
        if person is None:
            raise NotFound(f"{email} is not in the involvement register")
        if session.execute(select(ForumMember.id).where(ForumMember.forum_id == forum.id,
                                                        ForumMember.person_id == person.id)).first():
            raise InvolveError(f"{email} is already a member of {forum.reference}")
        session.add(ForumMember(forum_id=forum.id, person_id=person.id))
        audit.record(session, [audit.Change("forum", forum.reference, "add_member", by,
                                            data={"person": per(person.id)})])
        return forum


def _as_read(value: str) -> str:
    """A CSV cell as a spreadsheet shows it (a leading ' keeps +, -, = or @ as text)."""
    return value[1:] if value[:1] == "'" and value[1:2] in ("+", "-", "=", "@") else value


def send_monthly_report(month: str, csv_path: str) -> int:
    """Queue the month's payments report (its figures only, read from the report's CSV: no names) to
    every forum's contact; once per forum and month. Returns how many were queued."""
    with open(csv_path, newline="", encoding="utf-8") as fh:
        figures = {f"{r['metric']}|{r['breakdown']}": _as_read(r["value"]) for r in csv.DictReader(fh)}
    location = str(Path(csv_path).parent)
    with unit_of_work() as session:
        rows = []
        for forum in session.execute(select(Forum).order_by(Forum.id)).scalars():
            lines = [(label, figures.get(f"{metric}|", "0"), kind) for metric, label, kind in REPORTED]
            borough = [(label, figures.get(f"{metric}|borough:{forum.borough}", "0"), kind)
                       for metric, label, kind in REPORTED
                       if metric in ("claims_submitted", "payments_made", "paid_total")]
            # a contact in the register (a service user chairing the forum) gets it in their language;
            # a member of staff in English, as every staff email
            contact = session.execute(select(Person.id, Person.language).where(
                Person.email == forum.contact_email)).first()
            rows.append(email_row(template="forum_report", to=forum.contact_email, reference=forum.reference,
                                  context={"reference": forum.reference, "forum": forum.name, "month": month,
                                           "lines": lines, "borough": BOROUGH_NAMES.get(forum.borough, ""),
                                           "borough_lines": borough, "location": location},
                                  dedupe_key=f"{forum.reference}:report:{month}",
                                  **({"language": contact.language} if contact else {})))
        sent = set(session.execute(select(OutboxEmail.dedupe_key).where(
            OutboxEmail.dedupe_key.in_([r["dedupe_key"] for r in rows]))).scalars()) if rows else set()
        rows = [r for r in rows if r["dedupe_key"] not in sent]
        enqueue(session, rows)
        if rows:
            audit.record(session, [audit.Change("forum", "FORUMS", "send_report", audit.SYSTEM,
                                                data={"month": month, "forums": [r["reference"] for r in rows]})])
        return len(rows)
