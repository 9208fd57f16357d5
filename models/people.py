"""Staff (with roles) and the involvement register (service users / experts by experience)."""
from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import JSON, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base, utcnow

ROLES = ("admin", "coordinator", "lead", "finance", "hr", "ppi_lead")


class Staff(Base):
    __tablename__ = "staff"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(320), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    roles: Mapped[list] = mapped_column(JSON, default=list)
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    # away (leave): from/to inclusive; claims routed to them go to the delegate in that period
    away_from: Mapped[date | None]
    away_to: Mapped[date | None]
    away_delegate: Mapped[str | None] = mapped_column(String(320))

    def away_on(self, day: date) -> bool:
        return bool(self.away_from and self.away_to and self.away_from <= day <= self.away_to)

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
    language: Mapped[str | None] = mapped_column(String(35))  # BCP 47; emails to them are in it
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
    religion: Mapped[str | None] = mapped_column(String(40))
    sexual_orientation: Mapped[str | None] = mapped_column(String(40))
    carer: Mapped[bool] = mapped_column(default=False)  # takes part as a carer (else as a service user)
    # the person's own page ("Update your details:")
    access_needs: Mapped[str | None] = mapped_column(Text)
    availability_note: Mapped[str | None] = mapped_column(Text)
    preferred_format: Mapped[str | None] = mapped_column(String(40))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    anonymised_at: Mapped[datetime | None]


class StaffSession(Base):
    """A signed-in browser: the cookie holds a random token, the row its hash. Ends after inactivity
    (settings.staff_session_idle_minutes) or at sign-out (revoked_at)."""

    __tablename__ = "staff_sessions"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)  # sha256 of the cookie's token
    staff_email: Mapped[str] = mapped_column(String(320), index=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_seen_at: Mapped[datetime] = mapped_column(default=utcnow)
    revoked_at: Mapped[datetime | None]


class StaffSignInLink(Base):
    """An emailed sign-in link: works once, for a short time, in the browser that asked for it."""

    __tablename__ = "staff_sign_in_links"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)  # sha256 of the link's random token
    staff_email: Mapped[str] = mapped_column(String(320))
    browser: Mapped[str] = mapped_column(String(64))  # sha256 of the asking browser's cookie
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime]
    used_at: Mapped[datetime | None]
