"""Recruitment involvement, HR's side: start a recruitment, read it, the interview day, close it.

Each action is one `unit_of_work()`: lock the recruitment, check the role (`hr` or
`coordinator`), change state, write the audit record (entity "recruitment", REC-…, people as
PER-<id>) and queue the emails. The long wait between these actions (invitations, training,
reminders) is the recruitment flow's job: `involve.services.recruitment_panel`.
"""
from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from involve import audit, clock, links
from involve.db import unit_of_work
from involve.domain.dates import london_today
from involve.domain.names import BOROUGH_NAMES
from involve.domain.policy import load_policy
from involve.domain.recruitment import RecruitmentRules, training_valid_on
from involve.domain.recruitment_schema import RecruitmentIn
from involve.domain.recruitment_transitions import move
from involve.errors import InvolveError, NotAllowed, NotFound, WrongState
from involve.mail.outbox import email_row, enqueue
from involve.services.activity_claims import create_activity_claim
from involve.services.people import normalise_email, require_staff, staff_by_email
from models import PanelMember, Person, Recruitment

RECRUITER_ROLES = ("hr", "coordinator")


def rules() -> RecruitmentRules:
    """The `[recruitment]` settings of the payments policy (defaults when the table is absent)."""
    return load_policy().recruitment


def per(person_id: int) -> str:
    """How the audit trail names a register person."""
    return f"PER-{person_id}"


def note(session: Session, reference: str, action: str, actor: str = audit.SYSTEM, /, **data) -> None:
    """One audit record for a recruitment step (entity "recruitment"); `data` names people as PER-<id>."""
    audit.record(session, [audit.Change("recruitment", reference, action, actor, data=data or None)])


def send(session: Session, template: str, to: str, reference: str, context: dict, key: str) -> None:
    """Queue one email in the caller's transaction; `key` makes a repeated step send nothing twice.
    A person in the register gets it in their language and format."""
    person = session.execute(select(Person).where(Person.email == to)).scalar_one_or_none()
    enqueue(session, [email_row(template=template, to=to, reference=reference, context=context,
                                dedupe_key=key, language=person.language if person else None,
                                reading_format=person.preferred_format if person else None)])


def long_date(day: date) -> str:
    return f"{day:%A} {day.day} {day:%B %Y}"


def rec_context(rec: Recruitment) -> dict:
    """What emails and pages may say about a recruitment (no personal data)."""
    return {"reference": rec.reference, "title": rec.title, "staff_group": rec.staff_group.replace("_", " "),
            "borough": BOROUGH_NAMES.get(rec.borough, rec.borough), "service": rec.service or "",
            "interview_date": long_date(rec.interview_date), "interview_start": rec.interview_start,
            "interview_end": rec.interview_end, "decision_rule": rec.decision_rule or ""}


def staff_to_alert(session: Session, rec: Recruitment) -> list[str]:
    """Who is told when the panel needs a person's help: every `hr` and every `coordinator`,
    and the member of staff who started the recruitment."""
    emails = {m.email for m in staff_by_email(session).values() if m.has_role(*RECRUITER_ROLES)}
    return sorted(emails | {rec.created_by})


def lock_recruitment(session: Session, reference: str) -> Recruitment:
    stmt = select(Recruitment).where(Recruitment.reference == reference.strip().upper())
    stmt = stmt.with_for_update()
    rec = session.execute(stmt).scalar_one_or_none()
    if rec is None:
        raise NotFound(f"no recruitment with reference {reference}")
    return rec


def require_open(rec: Recruitment) -> None:
    if rec.status != "open":
        raise WrongState(f"{rec.reference} is {rec.status}; it cannot be changed now")


def _next_reference(session: Session, year: int) -> str:
    prefix = f"REC-{year}-"
    last = session.execute(select(func.max(Recruitment.reference))
                           .where(Recruitment.reference.like(prefix + "%"))).scalar_one_or_none()
    return f"{prefix}{(int(last.rsplit('-', 1)[1]) + 1) if last else 1:04d}"


def start(data: RecruitmentIn, *, by: str, now: datetime | None = None) -> Recruitment:
    """Create an open recruitment, due for the flow at once (it sends the first invitations)."""
    now = now or clock.now()
    for attempt in range(5):
        try:
            with unit_of_work() as session:
                by = require_staff(session, by, *RECRUITER_ROLES, doing="start a recruitment").email
                rec = Recruitment(
                    reference=_next_reference(session, london_today(now).year), title=data.title,
                    staff_group=data.staff_group, borough=data.borough, service=data.service,
                    interview_date=data.interview_date, interview_start=data.interview_start,
                    interview_end=data.interview_end, panel_size=data.panel_size,
                    job_description_draft=data.job_description, decision_rule=data.decision_rule,
                    status="open", created_by=by, created_at=now, due_at=now, final_comment_ids=[])
                session.add(rec)
                session.flush()
                audit.record(session, [audit.Change(
                    "recruitment", rec.reference, "start", by, None, "open",
                    data={"title": rec.title, "staff_group": rec.staff_group, "borough": rec.borough,
                          "interview_date": rec.interview_date.isoformat(), "panel_size": rec.panel_size,
                          "decision_rule": rec.decision_rule})])
            return rec
        except IntegrityError:  # two starts took the same number at once (PostgreSQL): take the next
            if attempt == 4:
                raise
    raise AssertionError("unreachable")


def member_for(session: Session, rec: Recruitment, email: str) -> tuple[PanelMember, Person]:
    email = normalise_email(email)
    row = session.execute(select(PanelMember, Person).join(Person, Person.id == PanelMember.person_id)
                          .where(PanelMember.recruitment_id == rec.id, Person.email == email)).one_or_none()
    if row is None:
        raise NotFound(f"{email} is not on the panel of {rec.reference}")
    return row[0], row[1]


def attend(reference: str, *, member: str, by: str,
           now: datetime | None = None) -> tuple[PanelMember, str]:
    """Record that a panel member attended the interviews; create their interview_panel claim
    (pre-filled, awaiting their confirmation) and thank them with its Confirm: link. Once they
    confirm it (adding their costs) it is submitted and follows the claims flow."""
    now = now or clock.now()
    with unit_of_work() as session:
        rec = lock_recruitment(session, reference)
        by = require_staff(session, by, *RECRUITER_ROLES, doing="record panel attendance").email
        require_open(rec)
        m, person = member_for(session, rec, member)
        day = rec.interview_date.isoformat()
        if m.status != "accepted":
            raise WrongState(f"{person.email} is {m.status} on {rec.reference}; "
                             "only an accepted member can attend")
        if london_today(now) < rec.interview_date:
            raise WrongState(f"the interviews for {rec.reference} are on {day}; "
                             "record attendance on or after that day")
        months = rules().panel_training_valid_months
        if not training_valid_on(person.panel_trained_on, rec.interview_date, months):
            raise NotAllowed(f"{person.email} has no panel training valid on {day}; "
                             "nobody sits on a panel without it")
        prepared = create_activity_claim(
            session, person=person, kind="interview_panel", title=f"Interview panel: {rec.title}",
            day=rec.interview_date, start=rec.interview_start, end=rec.interview_end, borough=rec.borough,
            service=rec.service, lead_email=rec.created_by, reference=rec.reference, source="recruitment",
            actor=by)
        claim_ref = prepared.reference
        m.status = move("panel_member", "attend", m.status, what=person.email)
        m.attended_at, m.claim_reference = now, claim_ref
        audit.record(session, [audit.Change("recruitment", rec.reference, "attend", by, data={
            "person": per(person.id), "from": "accepted", "to": "attended", "claim": claim_ref})])
        ctx = dict(rec_context(rec), name=person.name, claim_reference=claim_ref,
                   confirm_url=prepared.confirm_url, withdraw_url=prepared.withdraw_url,
                   score_url=links.issue(session, action="score", reference=rec.reference, holder=person.email,
                                         data={"member_id": m.id}))
        enqueue(session, [email_row(template="recruitment_thanks", to=person.email, reference=rec.reference,
                                    context=ctx, dedupe_key=f"{rec.reference}:thanks:{per(person.id)}",
                                    language=person.language, reading_format=person.preferred_format)])
        return m, claim_ref


def close(reference: str, *, outcome: str, panel_view: str | None, by: str,
          now: datetime | None = None) -> Recruitment:
    """HR records the outcome (and how the service-user view was combined) and closes."""
    now = now or clock.now()
    if not (outcome or "").strip():
        raise InvolveError("an outcome is required to close a recruitment")
    with unit_of_work() as session:
        rec = lock_recruitment(session, reference)
        by = require_staff(session, by, *RECRUITER_ROLES, doing="close a recruitment").email
        require_open(rec)
        expired = []
        for m in session.execute(select(PanelMember).where(PanelMember.recruitment_id == rec.id,
                                                           PanelMember.status == "invited")).scalars():
            m.status = move("panel_member", "expire", m.status)
            expired.append(per(m.person_id))
        rec.status = move("recruitment", "close", rec.status, what=rec.reference)
        rec.outcome = outcome.strip()
        rec.panel_view = (panel_view or "").strip() or None
        rec.closed_by, rec.closed_at, rec.due_at = by, now, None
        audit.record(session, [audit.Change("recruitment", rec.reference, "close", by, "open", "closed",
                                            reason=rec.outcome, data={"panel_view": rec.panel_view,
                                                                      "expired": expired})])
        return rec
