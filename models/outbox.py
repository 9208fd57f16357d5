"""The email outbox (written in the same transaction as the change that causes the email) and
the single-use action-link tokens."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base, utcnow


class OutboxEmail(Base):
    __tablename__ = "outbox"
    __table_args__ = (Index("ix_outbox_pending", "sent_at", "next_attempt_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    template: Mapped[str] = mapped_column(String(60))
    to_addr: Mapped[str] = mapped_column(String(320))
    reference: Mapped[str] = mapped_column(String(60), index=True)
    context: Mapped[dict] = mapped_column(JSON)
    dedupe_key: Mapped[str | None] = mapped_column(String(200), unique=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    next_attempt_at: Mapped[datetime] = mapped_column(default=utcnow)
    lease_until: Mapped[datetime | None]
    attempts: Mapped[int] = mapped_column(default=0)
    sent_at: Mapped[datetime | None]
    last_error: Mapped[str | None] = mapped_column(Text)
    subject: Mapped[str | None] = mapped_column(String(300))
    failed_at: Mapped[datetime | None]  # given up: cannot be sent (permanent refusal, or out of attempts)


class LinkToken(Base):
    """An action link's server-side half: the signed token carries this id; using it sets used_at."""

    __tablename__ = "link_tokens"

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    action: Mapped[str] = mapped_column(String(30))
    reference: Mapped[str] = mapped_column(String(60), index=True)
    holder_email: Mapped[str] = mapped_column(String(320))
    data: Mapped[dict | None] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime]
    used_at: Mapped[datetime | None]
