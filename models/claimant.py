"""The claimant's side: receipts (files kept encrypted behind `involve.storage`), questions staff ask
about a claim and the person's answers, and save-and-come-back form drafts."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Integer, LargeBinary, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base, utcnow


class Receipt(Base):
    """One receipt file. Until the claim exists (the form's costs page) it belongs to the form session
    (`form_session`, `cost`); then to a claim and one of its expense lines."""

    __tablename__ = "receipts"

    id: Mapped[int] = mapped_column(primary_key=True)
    claim_id: Mapped[int | None] = mapped_column(ForeignKey("claims.id", ondelete="CASCADE"), index=True)
    line_id: Mapped[int | None] = mapped_column(ForeignKey("expense_lines.id", ondelete="CASCADE"))
    form_session: Mapped[str | None] = mapped_column(String(64), index=True)
    cost: Mapped[str | None] = mapped_column(String(30))
    file_name: Mapped[str] = mapped_column(String(200))
    content_type: Mapped[str] = mapped_column(String(60))
    size: Mapped[int] = mapped_column(Integer)
    sha256: Mapped[str] = mapped_column(String(64))
    storage_key: Mapped[str] = mapped_column(String(100), unique=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class StoredFile(Base):
    """The database back end of `involve.storage`: encrypted file bytes by key."""

    __tablename__ = "stored_files"

    key: Mapped[str] = mapped_column(String(100), primary_key=True)
    data: Mapped[bytes] = mapped_column(LargeBinary)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class ClaimQuestion(Base):
    """A question staff asked the claimant (`needs_information`) and the answer."""

    __tablename__ = "claim_questions"

    id: Mapped[int] = mapped_column(primary_key=True)
    claim_id: Mapped[int] = mapped_column(ForeignKey("claims.id", ondelete="CASCADE"), index=True)
    asked_by: Mapped[str] = mapped_column(String(320))
    question: Mapped[str] = mapped_column(Text)
    asked_at: Mapped[datetime] = mapped_column(default=utcnow)
    from_status: Mapped[str] = mapped_column(String(30))
    answer: Mapped[str | None] = mapped_column(Text)
    answered_at: Mapped[datetime | None]
