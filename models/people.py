"""Staff (with roles) and the involvement register (service users / experts by experience)."""
from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import JSON, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base, utcnow

ROLES = ("coordinator", "lead", "finance", "hr", "ppi_lead")


class Staff(Base):
    __tablename__ = "staff"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(320), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    roles: Mapped[list] = mapped_column(JSON, default=list)
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    def has_role(self, *roles: str) -> bool:
        return self.active and any(r in (self.roles or []) for r in roles)


class Person(Base):
    """A person in the involvement register. Diversity fields are optional and self-declared."""

    __tablename__ = "people"
    __table_args__ = (Index("ix_people_name_id", "name", "id"),)   # the register list, in name order

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(320), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    borough: Mapped[str | None] = mapped_column(String(40))
    active: Mapped[bool] = mapped_column(default=True)
    weekly_earnings_limit: Mapped[Decimal | None]
    recruitment_consent: Mapped[bool] = mapped_column(default=False)
    panel_trained_on: Mapped[date | None]
    unavailable: Mapped[list] = mapped_column(JSON, default=list)  # ISO dates
    conflicts: Mapped[list] = mapped_column(JSON, default=list)  # teams / services declared
    # self-declared, all optional (mapping-exercise categories)
    age_band: Mapped[str | None] = mapped_column(String(20))
    ethnic_group: Mapped[str | None] = mapped_column(String(40))
    gender: Mapped[str | None] = mapped_column(String(40))
    disability: Mapped[str | None] = mapped_column(String(40))
    learning_disability: Mapped[bool | None]
    carer: Mapped[bool] = mapped_column(default=False)  # takes part as a carer (else as a service user)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    anonymised_at: Mapped[datetime | None]
