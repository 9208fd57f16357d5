"""Audit records: append-only and hash-chained; `audit_head` holds the chain's last hash.

The head row is locked by every writer (SELECT ... FOR UPDATE on PostgreSQL, BEGIN IMMEDIATE
on SQLite), so records get consecutive sequence numbers in commit order.
"""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base


class AuditRecord(Base):
    __tablename__ = "audit_records"

    seq: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    at: Mapped[datetime]
    actor: Mapped[str] = mapped_column(String(320))
    entity: Mapped[str] = mapped_column(String(30))
    reference: Mapped[str] = mapped_column(String(60), index=True)
    action: Mapped[str] = mapped_column(String(40))
    from_status: Mapped[str | None] = mapped_column(String(30))
    to_status: Mapped[str | None] = mapped_column(String(30))
    reason: Mapped[str | None] = mapped_column(Text)
    data: Mapped[dict | None] = mapped_column(JSON)
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64))
    # HMAC of `hash` under INVOLVE_AUDIT_KEY (never stored here): an edit whose later hashes were
    # recomputed cannot recompute the seals (null on records written before 0004)
    seal: Mapped[str | None] = mapped_column(String(64))


class AuditHead(Base):
    __tablename__ = "audit_head"

    id: Mapped[int] = mapped_column(primary_key=True)
    seq: Mapped[int]
    hash: Mapped[str] = mapped_column(String(64))
