"""Queue emails in the caller's transaction; the outbox flow renders and sends them later."""
from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import insert
from sqlalchemy.orm import Session

from models import OutboxEmail

STAFF = object()  # `language` not given: an email to staff, which stays English


def email_row(*, template: str, to: str, reference: str, context: dict[str, Any],
              dedupe_key: str | None = None, language: str | None | object = STAFF,
              reading_format: str | None = None) -> dict[str, Any]:
    """An outbox row. An email to a person passes their `language` (BCP 47, or None: INVOLVE_LANGUAGE)
    and `reading_format`: it is written in that language (if offered), with a Content-Language header,
    in their format's template variant. Emails to staff pass neither and stay English."""
    now = datetime.now(UTC)
    if language is not STAFF:
        context = dict(context, language=language, format=reading_format or "standard")
    return {"template": template, "to_addr": to, "reference": reference, "context": context,
            "dedupe_key": dedupe_key, "created_at": now, "next_attempt_at": now, "attempts": 0}


def enqueue(session: Session, rows: list[dict[str, Any]]) -> None:
    if rows:
        session.execute(insert(OutboxEmail.__table__), rows)  # Core executemany: batches queue hundreds

