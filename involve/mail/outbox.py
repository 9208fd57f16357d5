"""Queue emails in the caller's transaction; the outbox flow renders and sends them later."""
from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import insert
from sqlalchemy.orm import Session

from models import OutboxEmail


def email_row(*, template: str, to: str, reference: str, context: dict[str, Any],
              dedupe_key: str | None = None, language: str | None = None,
              reading_format: str | None = None) -> dict[str, Any]:
    """An outbox row; `language` (BCP 47) and `reading_format` are the person's: the email is written in
    that language (if offered) with a Content-Language header, and in their format's template variant."""
    now = datetime.now(UTC)
    if language or reading_format:
        context = dict(context, **{k: v for k, v in (("language", language), ("format", reading_format)) if v})
    return {"template": template, "to_addr": to, "reference": reference, "context": context,
            "dedupe_key": dedupe_key, "created_at": now, "next_attempt_at": now, "attempts": 0}


def enqueue(session: Session, rows: list[dict[str, Any]]) -> None:
    if rows:
        session.execute(insert(OutboxEmail.__table__), rows)  # Core executemany: batches queue hundreds

