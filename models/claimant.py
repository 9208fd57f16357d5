"""The claimant's side: receipts (files kept encrypted behind `involve.storage`), receipts still to be
fetched from a form provider, questions staff ask about a claim and the person's answers, and
save-and-come-back form drafts."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, Integer, LargeBinary, String, Text
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


class ReceiptFetch(Base):
    """A receipt a form provider (Typeform, Tally) holds for one of a claim's costs, by its file URL:
    fetched in the background (`involve.services.receipt_fetches`), then kept as a `Receipt`.

    state: `waiting` (due at `next_at`; a worker that takes it moves `next_at` on, a lease), `done`,
    or `failed` (`last_error` says why, in words staff read; the cost keeps `receipt_missing`)."""

    __tablename__ = "receipt_fetches"
    __table_args__ = (Index("ix_receipt_fetches_state_next_at", "state", "next_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    claim_id: Mapped[int] = mapped_column(ForeignKey("claims.id", ondelete="CASCADE"), index=True)
    line_no: Mapped[int]  # the claim's expense line (expense_lines.line_no)
    source: Mapped[str] = mapped_column(String(20))  # typeform | tally: what credentials the URL takes
    url: Mapped[str] = mapped_column(Text)
    state: Mapped[str] = mapped_column(String(10), default="waiting")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_error: Mapped[str | None] = mapped_column(String(300))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    finished_at: Mapped[datetime | None]


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
