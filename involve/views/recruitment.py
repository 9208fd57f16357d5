"""Read models of recruitments for HR (CLI `recruitment show --json`, the API): the panel with
training, who was invited, comments, questions, scores and the audit history. Read-only."""
from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from involve.db import reader
from involve.domain.recruitment import score_summary, trained_until
from involve.errors import NotFound
from involve.services.recruitment import rules
from models import AuditRecord, JdComment, PanelMember, PanelScore, Person, Question, QuestionUse, Recruitment


def _iso(v) -> str | None:
    return v.isoformat() if v is not None else None


def describe(reference: str) -> dict:
    with reader() as s:
        rec = s.execute(select(Recruitment).where(Recruitment.reference == reference.strip().upper())
                        ).scalar_one_or_none()
        if rec is None:
            raise NotFound(f"no recruitment with reference {reference}")
        return recruitment_json(s, rec)


def recruitment_json(s: Session, rec: Recruitment) -> dict:
    months = rules().panel_training_valid_months
    rows = s.execute(select(PanelMember, Person).join(Person, Person.id == PanelMember.person_id)
                     .where(PanelMember.recruitment_id == rec.id)
                     .order_by(PanelMember.invited_at, PanelMember.id)).all()
    emails = {m.id: p.email for m, p in rows}
    panel = [{"email": p.email, "name": p.name, "status": m.status,
              "trained_until": _iso(trained_until(p.panel_trained_on, months)),
              "training_session": m.training_session_id, "invited_at": _iso(m.invited_at),
              "respond_by": _iso(m.respond_by), "responded_at": _iso(m.responded_at),
              "claim_reference": m.claim_reference} for m, p in rows]
    comments = [{"id": c.id, "by": emails.get(c.member_id), "text": c.text, "status": c.status,
                 "reason": c.reason, "decided_by": c.decided_by}
                for c in s.execute(select(JdComment).where(JdComment.recruitment_id == rec.id)
                                   .order_by(JdComment.id)).scalars()]
    used = set(s.execute(select(QuestionUse.question_id)
                         .where(QuestionUse.recruitment_id == rec.id)).scalars())
    questions = [{"id": q.id, "text": q.text, "used": q.id in used,
                  "from_panel": q.proposed_by_person_id is not None,
                  "proposed_here": q.recruitment_id == rec.id}
                 for q in s.execute(select(Question).where(Question.staff_group == rec.staff_group)
                                    .order_by(Question.id)).scalars()]
    scores = list(s.execute(select(PanelScore).where(PanelScore.recruitment_id == rec.id)
                            .order_by(PanelScore.id)).scalars())
    history = [{"at": _iso(a.at), "actor": a.actor, "action": a.action, "from_status": a.from_status,
                "to_status": a.to_status, "reason": a.reason, "data": a.data}
               for a in s.execute(select(AuditRecord).where(AuditRecord.entity == "recruitment",
                                                            AuditRecord.reference == rec.reference)
                                  .order_by(AuditRecord.seq)).scalars()]
    return {
        "reference": rec.reference, "status": rec.status, "title": rec.title, "staff_group": rec.staff_group,
        "borough": rec.borough, "service": rec.service, "interview_date": _iso(rec.interview_date),
        "interview_start": rec.interview_start, "interview_end": rec.interview_end,
        "panel_size": rec.panel_size,
        "decision_rule": rec.decision_rule, "created_by": rec.created_by, "panel": panel,
        "invited": [r["email"] for r in panel],
        "job_description_draft": rec.job_description_draft,
        "job_description_final": rec.job_description_final,
        "final_comment_ids": list(rec.final_comment_ids or []), "comments": comments, "questions": questions,
        "scores": [{"member": emails.get(x.member_id), "candidate": x.candidate, "question": x.question_id,
                    "score": x.score, "comment": x.comment} for x in scores],
        "score_summary": score_summary((x.candidate, x.score) for x in scores),
        "outcome": rec.outcome, "panel_view": rec.panel_view, "closed_at": _iso(rec.closed_at),
        "due_at": _iso(rec.due_at), "history": history,
    }


def list_recruitments(status: str | None = None) -> list[dict]:
    with reader() as s:
        stmt = select(Recruitment).order_by(Recruitment.id.desc())
        if status:
            stmt = stmt.where(Recruitment.status == status)
        return [{"reference": r.reference, "status": r.status, "title": r.title, "staff_group": r.staff_group,
                 "borough": r.borough, "interview_date": _iso(r.interview_date), "panel_size": r.panel_size}
                for r in s.execute(stmt).scalars()]


def panel_member_for_link(session: Session, reference: str, member_id) -> tuple:
    """(recruitment, panel member, person) behind a panel member's link, inside the caller's session;
    (None, None, None) when the link names a member of another recruitment or nothing at all."""
    rec = session.execute(select(Recruitment).where(Recruitment.reference == reference)).scalar_one_or_none()
    m = session.get(PanelMember, member_id) if isinstance(member_id, int) else None
    if rec is None or m is None or m.recruitment_id != rec.id:
        return None, None, None
    return rec, m, session.get(Person, m.person_id)


def used_questions(session: Session, recruitment_id: int) -> list[dict]:
    """The questions marked used in a recruitment (what panel members score against)."""
    stmt = select(Question).join(QuestionUse, QuestionUse.question_id == Question.id).where(
        QuestionUse.recruitment_id == recruitment_id).order_by(Question.id)
    return [{"id": q.id, "text": q.text} for q in session.execute(stmt).scalars()]


def training_sessions() -> list[dict]:
    """Panel-training sessions, soonest first, each with the people booked on it (HR's page)."""
    from models import TrainingBooking, TrainingSession

    with reader() as s:
        sessions = list(s.execute(select(TrainingSession).order_by(TrainingSession.date, TrainingSession.start))
                        .scalars())
        people: dict[int, list[dict]] = {t.id: [] for t in sessions}
        for b, p in s.execute(select(TrainingBooking, Person).join(Person, Person.id == TrainingBooking.person_id)
                              .order_by(TrainingBooking.id)):
            if b.session_id in people:
                people[b.session_id].append({"email": p.email, "name": p.name, "status": b.status})
    return [{"id": t.id, "date": _iso(t.date), "start": t.start, "end": t.end, "capacity": t.capacity,
             "title": t.title, "people": people[t.id],
             "booked": sum(1 for x in people[t.id] if x["status"] in ("booked", "attended"))} for t in sessions]
