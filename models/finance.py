"""Finance: a person's payment details held once (the payee record), fees sent to payroll, and
budgets by cost centre. Payment runs and payments themselves live in models/claims.py.

Bank details and payroll identifiers are stored only encrypted (`involve/crypto.py`) plus a masked
form for display.
"""
from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from sqlalchemy import ForeignKey, LargeBinary, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base, utcnow


class Payee(Base):
    """One person's payment details. A change of bank details waits in `pending_*` until the person
    confirms it through the link sent to their email and a finance user has checked it."""

    __tablename__ = "payees"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(320), unique=True)
    bank_details_encrypted: Mapped[bytes | None] = mapped_column(LargeBinary)
    bank_details_masked: Mapped[str | None] = mapped_column(String(60))
    payroll_encrypted: Mapped[bytes | None] = mapped_column(LargeBinary)  # {"ni_number", "payroll_reference"}
    details_set_at: Mapped[datetime | None]  # when the current bank details took effect
    details_source: Mapped[str | None] = mapped_column(String(60))  # the claim reference, or "link"
    pending_encrypted: Mapped[bytes | None] = mapped_column(LargeBinary)
    pending_masked: Mapped[str | None] = mapped_column(String(60))
    pending_at: Mapped[datetime | None]
    pending_source: Mapped[str | None] = mapped_column(String(60))
    pending_confirmed_at: Mapped[datetime | None]  # the person confirmed through their email link
    checked_by: Mapped[str | None] = mapped_column(String(320))  # the finance user who checked the last change
    checked_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class PayrollExport(Base):
    __tablename__ = "payroll_exports"

    id: Mapped[int] = mapped_column(primary_key=True)
    period: Mapped[str] = mapped_column(String(7))  # YYYY-MM
    created_by: Mapped[str] = mapped_column(String(320))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    file_name: Mapped[str] = mapped_column(String(300))
    people: Mapped[int]
    total: Mapped[Decimal]


class PayrollLine(Base):
    """A claim's fee sent to payroll. `claim_id` is unique: a fee is exported once."""

    __tablename__ = "payroll_lines"

    id: Mapped[int] = mapped_column(primary_key=True)
    export_id: Mapped[int] = mapped_column(ForeignKey("payroll_exports.id"), index=True)
    claim_id: Mapped[int] = mapped_column(ForeignKey("claims.id"), unique=True)
    claimant_email: Mapped[str] = mapped_column(String(320), index=True)
    period: Mapped[str] = mapped_column(String(7))
    amount: Mapped[Decimal]


class Budget(Base):
    """The budget of one cost centre for one financial year (1 April `year` to 31 March)."""

    __tablename__ = "budgets"
    __table_args__ = (UniqueConstraint("cost_centre", "year"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    cost_centre: Mapped[str] = mapped_column(String(40))
    year: Mapped[int]
    amount: Mapped[Decimal]
    set_by: Mapped[str] = mapped_column(String(320))
    set_at: Mapped[datetime] = mapped_column(default=utcnow)
