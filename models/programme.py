"""The involvement programme: the Action Plan (actions and their dated updates), involvement
activities with invitations and attendance, user forums and their members, and support (buddy /
mentor pairings, admin-support requests, the unmet-need log)."""
from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base, utcnow


class PlanAction(Base):
    """One action of the Action Plan; `code` is the plan's own id (e.g. "1.2")."""

    __tablename__ = "plan_actions"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(20), unique=True)
    position: Mapped[int] = mapped_column(default=0)
    work_area: Mapped[str] = mapped_column(String(200))
    action: Mapped[str] = mapped_column(Text)
    outcome: Mapped[str] = mapped_column(Text, default="")
    lead: Mapped[str] = mapped_column(String(200), default="")
    timescale: Mapped[str] = mapped_column(String(200), default="")
    how_tracked: Mapped[str] = mapped_column(Text, default="")
    evidence_kinds: Mapped[list] = mapped_column(default=list)  # activity kinds that count towards it
    status: Mapped[str] = mapped_column(String(20), default="not_started")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime | None]


class PlanUpdate(Base):
    """A dated progress note on an action (status at that time, note, evidence, who)."""

    __tablename__ = "plan_updates"

    id: Mapped[int] = mapped_column(primary_key=True)
    action_id: Mapped[int] = mapped_column(ForeignKey("plan_actions.id"), index=True)
    status: Mapped[str] = mapped_column(String(20))
    note: Mapped[str] = mapped_column(Text)
    evidence: Mapped[str | None] = mapped_column(Text)
    by: Mapped[str] = mapped_column(String(320))
    at: Mapped[datetime] = mapped_column(default=utcnow)


class Forum(Base):
    """A user forum for a service or a borough; its meetings are activities of kind forum_meeting."""

    __tablename__ = "forums"

    id: Mapped[int] = mapped_column(primary_key=True)
    reference: Mapped[str] = mapped_column(String(20), unique=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    borough: Mapped[str] = mapped_column(String(40))
    service: Mapped[str | None] = mapped_column(String(200))
    contact_email: Mapped[str] = mapped_column(String(320))
    created_by: Mapped[str] = mapped_column(String(320))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class ForumMember(Base):
    __tablename__ = "forum_members"
    __table_args__ = (UniqueConstraint("forum_id", "person_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    forum_id: Mapped[int] = mapped_column(ForeignKey("forums.id"), index=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id"))
    joined_at: Mapped[datetime] = mapped_column(default=utcnow)


class Activity(Base):
    """An involvement activity staff organise (a forum meeting, a ward visit, a survey, ...)."""

    __tablename__ = "activities"

    id: Mapped[int] = mapped_column(primary_key=True)
    reference: Mapped[str] = mapped_column(String(20), unique=True)
    kind: Mapped[str] = mapped_column(String(30))
    title: Mapped[str] = mapped_column(String(300))
    date: Mapped[date] = mapped_column(index=True)
    start: Mapped[str] = mapped_column(String(5))
    end: Mapped[str] = mapped_column(String(5))
    borough: Mapped[str] = mapped_column(String(40))
    service: Mapped[str | None] = mapped_column(String(200))
    action_code: Mapped[str | None] = mapped_column(String(20))
    level: Mapped[str | None] = mapped_column(String(20))
    programme: Mapped[str | None] = mapped_column(String(20))
    forum_id: Mapped[int | None] = mapped_column(ForeignKey("forums.id"))
    output: Mapped[str | None] = mapped_column(Text)  # a ward-visit report, survey summary, CPA-audit findings
    created_by: Mapped[str] = mapped_column(String(320))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class ActivityInvite(Base):
    """A register person invited to an activity: invited → accepted / declined → attended."""

    __tablename__ = "activity_invites"
    __table_args__ = (UniqueConstraint("activity_id", "person_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    activity_id: Mapped[int] = mapped_column(ForeignKey("activities.id"), index=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id"))
    status: Mapped[str] = mapped_column(String(20), default="invited")
    invited_at: Mapped[datetime] = mapped_column(default=utcnow)
    responded_at: Mapped[datetime | None]
    attended_at: Mapped[datetime | None]
    claim_reference: Mapped[str | None] = mapped_column(String(20))


class BuddyPair(Base):
    """Buddy / mentor support: an experienced person paired with a newer one."""

    __tablename__ = "buddy_pairs"

    id: Mapped[int] = mapped_column(primary_key=True)
    buddy_person_id: Mapped[int] = mapped_column(ForeignKey("people.id"))
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id"))
    started_on: Mapped[date]
    ended_on: Mapped[date | None]
    created_by: Mapped[str] = mapped_column(String(320))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class SupportRequest(Base):
    """Admin support asked for by a person (room, copying, travel booking, ...), with a status."""

    __tablename__ = "support_requests"

    id: Mapped[int] = mapped_column(primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id"))
    kind: Mapped[str] = mapped_column(String(30))
    description: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(20), default="open")
    requested_on: Mapped[date]
    created_by: Mapped[str] = mapped_column(String(320))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    closed_at: Mapped[datetime | None]


class UnmetNeed(Base):
    """Involvement-side unmet need: what was asked for, by whom, for which service, what happened."""

    __tablename__ = "unmet_needs"

    id: Mapped[int] = mapped_column(primary_key=True)
    description: Mapped[str] = mapped_column(Text)
    service: Mapped[str] = mapped_column(String(200))
    asked_by: Mapped[str | None] = mapped_column(String(200))
    outcome: Mapped[str | None] = mapped_column(Text)
    recorded_on: Mapped[date]
    created_by: Mapped[str] = mapped_column(String(320))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
