"""What panel members do through their email links: accept or decline an invitation, comment on
the draft job description, propose interview questions.

Each answer is one transaction that checks the signed link belongs to this member and
recruitment, uses it (it works once), records the answer with an audit record, and makes the
recruitment due so the flow reacts on its next cycle (the next invitation, a training booking,
the job-description and questions requests). Free text people write (reasons, comments,
questions) stays in its own table and never goes into the audit trail.
"""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from involve import audit, clock, links
from involve.db import unit_of_work
from involve.domain.emails import same_address
from involve.domain.languages import N_, Message
from involve.domain.programme import already_answered
from involve.domain.recruitment import SITS
from involve.domain.recruitment_transitions import move
from involve.errors import InvolveError, NotAllowed, WrongState
from involve.services.recruitment import lock_recruitment, note, per, rules
from involve.services.recruitment_invites import month_bounds
from models import JdComment, LinkToken, PanelMember, Person, Question, Recruitment

MAX_TEXTS = 5
MAX_TEXT = 4000


def _member(session: Session, signed: str, action: str) -> tuple[LinkToken, Recruitment, PanelMember, Person]:
    token = links.load(session, signed, for_update=True)
    if token.action != action:
        raise NotAllowed("this link is for a different action")
    rec = lock_recruitment(session, token.reference)
    m = session.get(PanelMember, (token.data or {}).get("member_id"))
    person = session.get(Person, m.person_id) if m else None
    if m is None or m.recruitment_id != rec.id or person is None or \
            not same_address(person.email, token.holder_email):
        raise NotAllowed("this link is for a different invitation")
    return token, rec, m, person


def _still_open(rec: Recruitment, m: PanelMember) -> None:
    if rec.status != "open":
        raise WrongState(Message(N_("Recruitment %(ref)s has finished, so this can no longer be changed."),
                                 ref=rec.reference))
    if m.status != "invited":  # said to the person on the link page, in their language (web/actions.py)
        raise WrongState(already_answered(m.status))


def accept(signed: str, *, now: datetime | None = None) -> tuple[Recruitment, PanelMember]:
    """The invited person takes the seat; refused when it would take them over the monthly cap."""
    now = now or clock.now()
    with unit_of_work() as session:
        token, rec, m, person = _member(session, signed, "accept")
        _still_open(rec, m)
        cap = rules().max_panels_per_month
        held = session.execute(select(func.count()).select_from(PanelMember).join(
            Recruitment, Recruitment.id == PanelMember.recruitment_id).where(
            PanelMember.person_id == person.id, PanelMember.status.in_(SITS), Recruitment.id != rec.id,
            Recruitment.interview_date.between(*month_bounds(rec.interview_date)))).scalar_one()
        if held >= cap:
            raise NotAllowed(Message(N_("You are already on %(n)s interview panels that month, the most we ask "
                                        "of anyone. Thank you for offering."), n=held))
        m.status, m.responded_at = move("panel_member", "accept", m.status), now
        rec.due_at = now
        links.use(token)
        audit.record(session, [audit.Change("recruitment", rec.reference, "accept", per(person.id), data={
            "person": per(person.id), "from": "invited", "to": "accepted"})])
        return rec, m


def decline(signed: str, *, reason: str | None = None, now: datetime | None = None) -> Recruitment:
    """The invited person says no (a reason is optional and kept out of the audit trail)."""
    now = now or clock.now()
    with unit_of_work() as session:
        token, rec, m, person = _member(session, signed, "decline")
        _still_open(rec, m)
        m.status, m.responded_at = move("panel_member", "decline", m.status), now
        m.decline_reason = (reason or "").strip()[:MAX_TEXT] or None
        rec.due_at = now
        links.use(token)
        audit.record(session, [audit.Change("recruitment", rec.reference, "decline", per(person.id), data={
            "person": per(person.id), "from": "invited", "to": "declined"})])
        return rec


def _texts(values: list[str | None], what: str) -> list[str]:
    texts = [v.strip()[:MAX_TEXT] for v in values if v and v.strip()][:MAX_TEXTS]
    if not texts:
        raise InvolveError(N_("Please write at least one comment.") if what == "comment"
                           else N_("Please write at least one question."))
    return texts


def comment(signed: str, texts: list[str | None]) -> list[int]:
    """Comments on the draft job description, each one for HR to accept or decline."""
    with unit_of_work() as session:
        token, rec, m, person = _member(session, signed, "comment")
        if rec.status != "open" or m.status not in SITS:
            raise WrongState(Message(N_("Comments on %(ref)s are closed."), ref=rec.reference))
        rows = [JdComment(recruitment_id=rec.id, member_id=m.id, text=t, status="pending")
                for t in _texts(texts, "comment")]
        session.add_all(rows)
        session.flush()
        links.use(token)
        audit.record(session, [audit.Change("recruitment", rec.reference, "comment", per(person.id), data={
            "person": per(person.id), "comments": [c.id for c in rows]})])
        return [c.id for c in rows]


def propose(signed: str, texts: list[str | None]) -> list[int]:
    """Interview questions for the bank of the recruitment's staff group."""
    with unit_of_work() as session:
        token, rec, m, person = _member(session, signed, "propose")
        if rec.status != "open" or m.status not in SITS:
            raise WrongState(Message(N_("Questions for %(ref)s are closed."), ref=rec.reference))
        rows = [Question(staff_group=rec.staff_group, text=t, proposed_by_person_id=person.id,
                         recruitment_id=rec.id) for t in _texts(texts, "question")]
        session.add_all(rows)
        session.flush()
        links.use(token)
        note(session, rec.reference, "propose_questions", per(person.id), person=per(person.id),
             questions=[q.id for q in rows])
        return [q.id for q in rows]
