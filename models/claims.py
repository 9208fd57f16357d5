"""Claims, their expense lines, webhook deliveries, payments and payment runs.

Amounts are filled in by processing (null while `submitted`). Bank details are stored only
encrypted (`bank_details_encrypted`) plus a masked form for display.
"""
from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import JSON, ForeignKey, Index, LargeBinary, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from models.base import Base, utcnow


class Claim(Base):
    __tablename__ = "claims"
    __table_args__ = (
        Index("ix_claims_status_id", "status", "id"),
        Index("ix_claims_claimant_date", "claimant_email", "activity_date"),
        Index("ix_claims_source_submission", "source", "submission_id"),
        Index("ix_claims_name_email", "claimant_name", "claimant_email"),   # search (views/claims.py)
        Index("ix_claims_lead_id", "lead_email", "id"),                    # a lead's own list
        Index("ix_claims_approver_id", "approver_email", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    reference: Mapped[str] = mapped_column(String(20), unique=True)
    status: Mapped[str] = mapped_column(String(30))
    source: Mapped[str] = mapped_column(String(20), default="webhook")
    submission_id: Mapped[str | None] = mapped_column(String(200))
    claimant_name: Mapped[str] = mapped_column(String(200))
    claimant_email: Mapped[str] = mapped_column(String(320))
    claimant_language: Mapped[str | None] = mapped_column(String(35))  # BCP 47; their emails are in it
    claimant_format: Mapped[str | None] = mapped_column(String(20))  # standard, large_print, easy_read
    activity_kind: Mapped[str] = mapped_column(String(30))
    activity_title: Mapped[str] = mapped_column(String(300))
    activity_date: Mapped[date]
    activity_start: Mapped[str] = mapped_column(String(5))
    activity_end: Mapped[str] = mapped_column(String(5))
    borough: Mapped[str] = mapped_column(String(40))
    service: Mapped[str | None] = mapped_column(String(200))
    lead_email: Mapped[str | None] = mapped_column(String(320))
    activity_reference: Mapped[str | None] = mapped_column(String(60))
    fee_claimed: Mapped[bool]
    payment_method: Mapped[str | None] = mapped_column(String(20))
    bank_details_encrypted: Mapped[bytes | None] = mapped_column(LargeBinary)
    bank_details_masked: Mapped[str | None] = mapped_column(String(60))
    fee_amount: Mapped[Decimal | None]
    expenses_amount: Mapped[Decimal | None]
    total_amount: Mapped[Decimal | None]
    flags: Mapped[list] = mapped_column(JSON, default=list)
    policy_period: Mapped[str | None] = mapped_column(String(10))
    approver_email: Mapped[str | None] = mapped_column(String(320))
    approved_by: Mapped[str | None] = mapped_column(String(320))
    second_approved_by: Mapped[str | None] = mapped_column(String(320))
    expenses_only: Mapped[bool] = mapped_column(default=False)
    approval_note: Mapped[str | None] = mapped_column(Text)
    rejection_reason: Mapped[str | None] = mapped_column(Text)
    submitted_at: Mapped[datetime] = mapped_column(default=utcnow)
    processed_at: Mapped[datetime | None]
    decided_at: Mapped[datetime | None]
    paid_at: Mapped[datetime | None]
    payment_run_id: Mapped[int | None] = mapped_column(ForeignKey("payment_runs.id"))
    cost_centre: Mapped[str | None] = mapped_column(String(40))
    last_reminded_on: Mapped[date | None]
    keyed_by: Mapped[str | None] = mapped_column(String(320))  # who took the claimant's answers by phone
    hold_reason: Mapped[str | None] = mapped_column(Text)  # why processing set it aside (flag cannot_process)
    anonymised_at: Mapped[datetime | None]
    approved_amount: Mapped[Decimal | None]           # a lower total the approver agreed (with a reason)
    amount_reason: Mapped[str | None] = mapped_column(Text)
    fee_requested: Mapped[Decimal | None]             # the person asked for a lower fee than the policy's

    expenses: Mapped[list[ExpenseLine]] = relationship(
        back_populates="claim", order_by="ExpenseLine.line_no", cascade="all, delete-orphan")

    @property
    def payable_amount(self) -> Decimal | None:
        if self.total_amount is None:
            return None
        if self.approved_amount is not None:
            return self.approved_amount
        return self.expenses_amount if self.expenses_only else self.total_amount


class ExpenseLine(Base):
    __tablename__ = "expense_lines"

    id: Mapped[int] = mapped_column(primary_key=True)
    claim_id: Mapped[int] = mapped_column(ForeignKey("claims.id", ondelete="CASCADE"), index=True)
    line_no: Mapped[int]
    kind: Mapped[str] = mapped_column(String(30))
    claimed_amount: Mapped[Decimal | None]
    miles: Mapped[Decimal | None] = mapped_column(default=None)
    passengers: Mapped[int] = mapped_column(default=0)
    vehicle: Mapped[str | None] = mapped_column(String(10))
    description: Mapped[str | None] = mapped_column(String(500))
    receipt: Mapped[str | None] = mapped_column(String(300))
    amount: Mapped[Decimal | None]  # computed by the policy during processing

    claim: Mapped[Claim] = relationship(back_populates="expenses")


class Delivery(Base):
    """One webhook delivery (Standard Webhooks id, or the provider's submission id)."""

    __tablename__ = "deliveries"
    __table_args__ = (UniqueConstraint("source", "delivery_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    source: Mapped[str] = mapped_column(String(20))
    delivery_id: Mapped[str] = mapped_column(String(200))
    body_sha256: Mapped[str] = mapped_column(String(64))
    claim_reference: Mapped[str] = mapped_column(String(20))
    received_at: Mapped[datetime] = mapped_column(default=utcnow)


class PaymentRun(Base):
    __tablename__ = "payment_runs"

    id: Mapped[int] = mapped_column(primary_key=True)
    reference: Mapped[str | None] = mapped_column(String(20), unique=True)  # RUN-…
    status: Mapped[str] = mapped_column(String(10), default="open")  # open, paid
    file_format: Mapped[str] = mapped_column(String(10), default="csv")  # csv, bacs18
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    created_by: Mapped[str] = mapped_column(String(320))
    claim_count: Mapped[int]
    total: Mapped[Decimal]
    file_name: Mapped[str | None] = mapped_column(String(300))
    paid_at: Mapped[datetime | None]
    paid_by: Mapped[str | None] = mapped_column(String(320))


class PaymentFailure(Base):
    """A payment the bank returned (`involve payments failed`, or a `returned` line of its report):
    the bank's reason, the run the claim was in and who recorded it. One row per failure; the claim
    leaves its run, so this is how a run still shows which of its payments came back."""

    __tablename__ = "payment_failures"

    id: Mapped[int] = mapped_column(primary_key=True)
    claim_id: Mapped[int] = mapped_column(ForeignKey("claims.id", ondelete="CASCADE"), index=True)
    run_id: Mapped[int | None] = mapped_column(ForeignKey("payment_runs.id"), index=True)
    reason: Mapped[str] = mapped_column(String(500))
    recorded_by: Mapped[str] = mapped_column(String(320))
    recorded_at: Mapped[datetime] = mapped_column(default=utcnow)


class Payment(Base):
    """A recorded payment. `claim_id` is unique: the database itself refuses a second one."""

    __tablename__ = "payments"

    id: Mapped[int] = mapped_column(primary_key=True)
    claim_id: Mapped[int] = mapped_column(ForeignKey("claims.id"), unique=True)
    amount: Mapped[Decimal]
    payment_ref: Mapped[str | None] = mapped_column(String(100))
    recorded_by: Mapped[str] = mapped_column(String(320))
    recorded_at: Mapped[datetime] = mapped_column(default=utcnow)
    details: Mapped[dict | None] = mapped_column(JSON)
