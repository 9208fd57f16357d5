"""Queue emails in the caller's transaction; the outbox flow renders and sends them later."""
from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import insert
from sqlalchemy.orm import Session

from models import OutboxEmail


def email_row(*, template: str, to: str, reference: str, context: dict[str, Any],
              dedupe_key: str | None = None) -> dict[str, Any]:
    now = datetime.now(UTC)
    return {"template": template, "to_addr": to, "reference": reference, "context": context,
            "dedupe_key": dedupe_key, "created_at": now, "next_attempt_at": now, "attempts": 0}


def enqueue(session: Session, rows: list[dict[str, Any]]) -> None:
    if rows:
        session.execute(insert(OutboxEmail.__table__), rows)  # Core executemany: batches queue hundreds

