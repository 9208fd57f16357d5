"""HR's decisions on what the panel contributed: job-description comments (accept or decline,
each with a reason; the member is emailed the decisions and the final text once it exists), the draft and
final job description, questions used, and panel scores.

Each is one transaction with one audit record (entity "recruitment", REC-…); only `hr` or
`coordinator` staff may act. A new or changed draft makes the recruitment due, so the flow sends
the job-description request to accepted members who have not had one.
"""
from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from involve import audit, clock
from involve.db import unit_of_work
from involve.domain.recruitment import SITS
from involve.domain.recruitment_transitions import move
from involve.errors import InvolveError, NotFound, WrongState
from involve.mail.outbox import email_row, enqueue
from involve.services.people import require_staff
from involve.services.recruitment import RECRUITER_ROLES, lock_recruitment, member_for, per, require_open
from models import JdComment, PanelMember, PanelScore, Person, Question, QuestionUse


def _reason(reason: str | None, what: str) -> str:
    reason = (reason or "").strip()
    if not reason:
        raise InvolveError(f"a reason is required to {what}; the panel member can see it")
    return reason


def decide_comment(reference: str, comment_id: int, *, accept: bool, reason: str, by: str) -> JdComment:
    reason = _reason(reason, "accept or decline a comment")
    with unit_of_work() as session:
        rec = lock_recruitment(session, reference)
        by = require_staff(session, by, *RECRUITER_ROLES, doing="decide on job-description comments").email
        c = session.get(JdComment, comment_id)
        if c is None or c.recruitment_id != rec.id:
            raise NotFound(f"{rec.reference} has no comment {comment_id}")
        if c.id in (rec.final_comment_ids or []):
            raise WrongState(f"comment {comment_id} shaped the final job description; it cannot change now")
        before = c.status
        action = "accept" if accept else "decline"
        c.status = move("jd_comment", action, c.status, what=f"comment {comment_id}")
        c.reason, c.decided_by, c.decided_at = reason, by, clock.now()
        audit.record(session, [audit.Change("recruitment", rec.reference,
                                            "comment_accept" if accept else "comment_decline", by,
                                            reason=reason,
                                            data={"comment": c.id, "from": before, "to": c.status})])
        if rec.job_description_final:  # decided after the final text: tell the member now
            _tell_commenters(session, rec, [c])
        return c


def _tell_commenters(session: Session, rec, comments: list[JdComment]) -> None:
    """Email each member their comments' decisions (accepted or declined, with HR's reason) and the final
    job description."""
    by_member: dict[int, list[JdComment]] = {}
    for c in comments:
        if c.status in ("accepted", "declined"):
            by_member.setdefault(c.member_id, []).append(c)
    rows = []
    for member_id, theirs in sorted(by_member.items()):
        person = session.execute(select(Person).join(PanelMember, PanelMember.person_id == Person.id)
                                 .where(PanelMember.id == member_id)).scalar_one()
        ctx = {"reference": rec.reference, "title": rec.title, "name": person.name,
               "final_job_description": rec.job_description_final,
               "comments": [{"text": c.text, "decision": c.status, "reason": c.reason,
                             "shaped_final": c.id in (rec.final_comment_ids or [])} for c in theirs]}
        rows.append(email_row(template="recruitment_jd_decision", to=person.email, reference=rec.reference,
                              context=ctx, language=person.language, reading_format=person.preferred_format))
    enqueue(session, rows)


def set_draft(reference: str, text: str, *, by: str) -> None:
    """Give or replace the draft job description; members who have not had it are sent it."""
    if not (text or "").strip():
        raise InvolveError("the job description is empty")
    with unit_of_work() as session:
        rec = lock_recruitment(session, reference)
        by = require_staff(session, by, *RECRUITER_ROLES, doing="change the job description").email
        require_open(rec)
        rec.job_description_draft, rec.due_at = text.strip(), clock.now()
        audit.record(session, [audit.Change("recruitment", rec.reference, "jd_draft", by,
                                            data={"length": len(rec.job_description_draft)})])


def finalise_jd(reference: str, text: str, *, comment_ids: list[int] | None, by: str) -> list[int]:
    """Record the final job description and which accepted comments shaped it (default: all accepted)."""
    if not (text or "").strip():
        raise InvolveError("the final job description is empty")
    with unit_of_work() as session:
        rec = lock_recruitment(session, reference)
        by = require_staff(session, by, *RECRUITER_ROLES, doing="finalise the job description").email
        accepted = {c.id for c in session.execute(select(JdComment).where(
            JdComment.recruitment_id == rec.id, JdComment.status == "accepted")).scalars()}
        chosen = sorted(accepted if comment_ids is None else set(comment_ids))
        if not set(chosen) <= accepted:
            raise InvolveError(f"only accepted comments can shape the final text; not accepted: "
                               f"{', '.join(str(i) for i in sorted(set(chosen) - accepted))}")
        rec.job_description_final, rec.final_comment_ids = text.strip(), chosen
        audit.record(session, [audit.Change("recruitment", rec.reference, "jd_final", by,
                                            data={"comments": chosen})])
        _tell_commenters(session, rec, list(session.execute(select(JdComment).where(
            JdComment.recruitment_id == rec.id).order_by(JdComment.id)).scalars()))
        return chosen


def add_question(reference: str, text: str, *, by: str) -> Question:
    """HR adds a question of its own to the bank of the recruitment's staff group."""
    if not (text or "").strip():
        raise InvolveError("the question is empty")
    with unit_of_work() as session:
        rec = lock_recruitment(session, reference)
        by = require_staff(session, by, *RECRUITER_ROLES, doing="add interview questions").email
        q = Question(staff_group=rec.staff_group, text=text.strip(), proposed_by_staff=by,
                     recruitment_id=rec.id)
        session.add(q)
        session.flush()
        audit.record(session, [audit.Change("recruitment", rec.reference, "question_add", by,
                                            data={"question": q.id})])
        return q


def _use(session: Session, question_id: int, recruitment_id: int) -> QuestionUse | None:
    return session.execute(select(QuestionUse).where(QuestionUse.question_id == question_id,
                                                     QuestionUse.recruitment_id == recruitment_id)
                           ).scalar_one_or_none()


def mark_used(reference: str, question_id: int, *, by: str) -> None:
    """HR used a bank question (of this staff group) in this recruitment's interviews. Idempotent."""
    with unit_of_work() as session:
        rec = lock_recruitment(session, reference)
        by = require_staff(session, by, *RECRUITER_ROLES, doing="mark questions used").email
        q = session.get(Question, question_id)
        if q is None or q.staff_group != rec.staff_group:
            raise NotFound(f"no question {question_id} in the {rec.staff_group} question bank")
        if _use(session, q.id, rec.id) is None:
            session.add(QuestionUse(question_id=q.id, recruitment_id=rec.id, marked_by=by))
            audit.record(session, [audit.Change("recruitment", rec.reference, "question_used", by,
                                                data={"question": q.id})])


def _check_score(candidate: str, score) -> str:
    candidate = (candidate or "").strip()
    if not candidate or len(candidate) > 100:
        raise InvolveError("--candidate: give the candidate's label (at most 100 characters)")
    if not isinstance(score, int) or not 1 <= score <= 5:
        raise InvolveError("--score must be a whole number from 1 to 5")
    return candidate


def record_own_scores(signed: str, rows: list[tuple[str, int, int, str | None]]) -> int:
    """A panel member's own scores through their `Score:` link: rows of (candidate, question id, score 1-5,
    comment). All or nothing; the link works once."""
    from involve import links
    from involve.views.recruitment import panel_member_for_link

    rows = [(_check_score(c, sc), q, sc, (cm or "").strip() or None) for c, q, sc, cm in rows]
    if not rows:
        raise InvolveError("give at least one score")
    try:
        with unit_of_work() as session:
            token = links.load(session, signed, for_update=True)
            rec, m, person = panel_member_for_link(session, token.reference, (token.data or {}).get("member_id"))
            if rec is None or m is None or m.status not in SITS:
                raise WrongState("you are not on this panel")
            for candidate, question_id, score, comment in rows:
                if _use(session, question_id, rec.id) is None:
                    raise InvolveError(f"question {question_id} is not used in {rec.reference}")
                session.add(PanelScore(recruitment_id=rec.id, member_id=m.id, candidate=candidate,
                                       question_id=question_id, score=score, comment=comment,
                                       recorded_by=per(person.id)))
                audit.record(session, [audit.Change("recruitment", rec.reference, "score", per(person.id), data={
                    "person": per(person.id), "candidate": candidate, "question": question_id, "score": score})])
            session.flush()
            links.use(token)
            return len(rows)
    except IntegrityError:
        raise WrongState("a score for that candidate and question is already recorded") from None


def record_score(reference: str, *, member: str, candidate: str, question_id: int, score: int,
                 comment: str | None, by: str) -> PanelScore:
    """A panel member's 1-5 score for a candidate on a values question used in this recruitment."""
    candidate = _check_score(candidate, score)
    try:
        with unit_of_work() as session:
            rec = lock_recruitment(session, reference)
            by = require_staff(session, by, *RECRUITER_ROLES, doing="record panel scores").email
            m, person = member_for(session, rec, member)
            if m.status not in SITS:
                raise WrongState(f"{person.email} is {m.status}, not on the panel of {rec.reference}")
            if _use(session, question_id, rec.id) is None:
                raise InvolveError(f"question {question_id} is not marked used in {rec.reference}")
            row = PanelScore(recruitment_id=rec.id, member_id=m.id, candidate=candidate,
                             question_id=question_id, score=score, comment=(comment or "").strip() or None,
                             recorded_by=by)
            session.add(row)
            session.flush()
            audit.record(session, [audit.Change("recruitment", rec.reference, "score", by, data={
                "person": per(person.id), "candidate": candidate, "question": question_id, "score": score})])
            return row
    except IntegrityError:
        raise WrongState(f"that score is already recorded for {candidate} on question {question_id}"
                         ) from None
