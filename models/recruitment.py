"""Recruitment involvement: vacancies, their service-user panels, panel training, job-description
comments, the question bank and panel scores.

The database is the state of the long wait (weeks of invitations, training and the interview):
`recruitments.due_at` says when the recruitment flow next has something to do, and every step
is guarded by a status or a unique constraint, so running a step twice changes nothing.
People are referred to by `person_id` (the register), never copied.
"""
from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base, utcnow


class Recruitment(Base):
    """A vacancy HR started a recruitment-involvement flow for (`REC-YYYY-NNNN`)."""

    __tablename__ = "recruitments"
    __table_args__ = (Index("ix_recruitments_status_due", "status", "due_at"),
                      CheckConstraint("panel_size BETWEEN 1 AND 4", name="panel_size"))

    id: Mapped[int] = mapped_column(primary_key=True)
    reference: Mapped[str] = mapped_column(String(20), unique=True)
    title: Mapped[str] = mapped_column(String(300))
    staff_group: Mapped[str] = mapped_column(String(30))
    borough: Mapped[str] = mapped_column(String(40))
    service: Mapped[str | None] = mapped_column(String(200))
    interview_date: Mapped[date]
    interview_start: Mapped[str] = mapped_column(String(5), default="09:30")
    interview_end: Mapped[str] = mapped_column(String(5), default="13:00")
    panel_size: Mapped[int] = mapped_column(default=2)
    job_description_draft: Mapped[str | None] = mapped_column(Text)
    job_description_final: Mapped[str | None] = mapped_column(Text)
    final_comment_ids: Mapped[list] = mapped_column(default=list)  # JD comments that shaped the final text
    decision_rule: Mapped[str | None] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(20), default="open")  # open, closed
    outcome: Mapped[str | None] = mapped_column(Text)
    panel_view: Mapped[str | None] = mapped_column(Text)  # how the service-user view was combined
    created_by: Mapped[str] = mapped_column(String(320))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    closed_by: Mapped[str | None] = mapped_column(String(320))
    closed_at: Mapped[datetime | None]
    due_at: Mapped[datetime | None]  # when the recruitment flow should next look at it
    shortfall_alerted_at: Mapped[datetime | None]  # HR told the panel cannot be filled (once)


class PanelMember(Base):
    """One person invited to one recruitment's panel; a person is invited to a recruitment once."""

    __tablename__ = "panel_members"
    __table_args__ = (UniqueConstraint("recruitment_id", "person_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    recruitment_id: Mapped[int] = mapped_column(ForeignKey("recruitments.id"), index=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id"), index=True)
    status: Mapped[str] = mapped_column(String(20), default="invited")  # involve/domain/recruitment_transitions.py
    invited_at: Mapped[datetime]
    respond_by: Mapped[datetime]
    responded_at: Mapped[datetime | None]
    decline_reason: Mapped[str | None] = mapped_column(Text)
    training_session_id: Mapped[int | None] = mapped_column(ForeignKey("training_sessions.id"))
    training_alerted_at: Mapped[datetime | None]
    jd_requested_at: Mapped[datetime | None]
    questions_requested_at: Mapped[datetime | None]
    reminded_at: Mapped[datetime | None]
    attended_at: Mapped[datetime | None]
    claim_reference: Mapped[str | None] = mapped_column(String(20))


class TrainingSession(Base):
    """A panel-training session (`TRN-<id>` in the audit trail and on claims)."""

    __tablename__ = "training_sessions"
    __table_args__ = (CheckConstraint("capacity >= 1", name="capacity"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    date: Mapped[date]
    start: Mapped[str] = mapped_column(String(5))
    end: Mapped[str] = mapped_column(String(5))
    capacity: Mapped[int]
    title: Mapped[str] = mapped_column(String(200), default="Interview panel training")
    borough: Mapped[str] = mapped_column(String(40), default="trust_wide")
    created_by: Mapped[str] = mapped_column(String(320))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class TrainingBooking(Base):
    """A person's place on a training session; one per person per session."""

    __tablename__ = "training_bookings"
    __table_args__ = (UniqueConstraint("session_id", "person_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    session_id: Mapped[int] = mapped_column(ForeignKey("training_sessions.id"), index=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id"), index=True)
    recruitment_id: Mapped[int | None] = mapped_column(ForeignKey("recruitments.id"))
    status: Mapped[str] = mapped_column(String(20), default="booked")  # booked, attended
    booked_at: Mapped[datetime] = mapped_column(default=utcnow)
    attended_at: Mapped[datetime | None]
    claim_reference: Mapped[str | None] = mapped_column(String(20))


class JdComment(Base):
    """A panel member's comment on the draft job description; HR accepts or declines it with a reason."""

    __tablename__ = "jd_comments"

    id: Mapped[int] = mapped_column(primary_key=True)
    recruitment_id: Mapped[int] = mapped_column(ForeignKey("recruitments.id"), index=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("panel_members.id"))
    text: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(20), default="pending")  # pending, accepted, declined
    reason: Mapped[str | None] = mapped_column(Text)
    decided_by: Mapped[str | None] = mapped_column(String(320))
    decided_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Question(Base):
    """An interview question in the bank for a staff group, reusable by later recruitments."""

    __tablename__ = "questions"

    id: Mapped[int] = mapped_column(primary_key=True)
    staff_group: Mapped[str] = mapped_column(String(30), index=True)
    text: Mapped[str] = mapped_column(Text)
    proposed_by_person_id: Mapped[int | None] = mapped_column(ForeignKey("people.id"))
    proposed_by_staff: Mapped[str | None] = mapped_column(String(320))
    recruitment_id: Mapped[int | None] = mapped_column(ForeignKey("recruitments.id"))  # where it was proposed
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class QuestionUse(Base):
    """HR used a bank question in a recruitment's interviews (its values questions)."""

    __tablename__ = "question_uses"
    __table_args__ = (UniqueConstraint("question_id", "recruitment_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    question_id: Mapped[int] = mapped_column(ForeignKey("questions.id"))
    recruitment_id: Mapped[int] = mapped_column(ForeignKey("recruitments.id"), index=True)
    marked_by: Mapped[str] = mapped_column(String(320))
    marked_at: Mapped[datetime] = mapped_column(default=utcnow)


class PanelScore(Base):
    """A panel member's 1-5 score for one candidate on one values question, with a comment."""

    __tablename__ = "panel_scores"
    __table_args__ = (UniqueConstraint("recruitment_id", "member_id", "candidate", "question_id"),
                      CheckConstraint("score BETWEEN 1 AND 5", name="score"))

    id: Mapped[int] = mapped_column(primary_key=True)
    recruitment_id: Mapped[int] = mapped_column(ForeignKey("recruitments.id"), index=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("panel_members.id"))
    candidate: Mapped[str] = mapped_column(String(100))
    question_id: Mapped[int] = mapped_column(ForeignKey("questions.id"))
    score: Mapped[int]
    comment: Mapped[str | None] = mapped_column(Text)
    recorded_by: Mapped[str] = mapped_column(String(320))
    recorded_at: Mapped[datetime] = mapped_column(default=utcnow)
