"""Signed, expiring, single-use action links (itsdangerous + a `link_tokens` row).

The URL carries a signed token id. A GET shows a page; only the POST from that page acts, and
acting marks the row used in the same transaction, so a link works once.
"""
from __future__ import annotations

import secrets
from datetime import UTC, datetime, timedelta
from functools import lru_cache

from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer
from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from involve.errors import LinkInvalid
from involve.settings import settings
from models import LinkToken


def _serializer() -> URLSafeTimedSerializer:
    return _serializer_for(tuple(settings.link_signing_keys))


@lru_cache(maxsize=4)
def _serializer_for(keys: tuple[str, ...]) -> URLSafeTimedSerializer:
    """Signs with the newest INVOLVE_LINK_KEY; accepts every listed one (rotation keeps links valid)."""
    return URLSafeTimedSerializer(list(keys), salt="involve-action-link")


def issue(session: Session, *, action: str, reference: str, holder: str, data: dict | None = None,
          days: int | None = None) -> str:
    """Create a link token row and return the full URL for it."""
    row, url = new_link(action=action, reference=reference, holder=holder, data=data, days=days)
    session.add(LinkToken(**row))
    return url


def new_link(*, action: str, reference: str, holder: str, data: dict | None = None,
             days: int | None = None) -> tuple[dict, str]:
    """(the link_tokens row, its URL) without touching the session: batch code (claim processing)
    makes many and inserts the rows with one `store_links` (Core executemany, not one ORM object
    each). The link works only once that row is committed."""
    days = days or settings.link_max_age_days
    token_id = secrets.token_urlsafe(16)
    row = {"id": token_id, "action": action, "reference": reference, "holder_email": holder, "data": data,
           "created_at": datetime.now(UTC), "expires_at": datetime.now(UTC) + timedelta(days=days),
           "used_at": None}
    signed = _serializer().dumps({"t": token_id, "a": action})
    return row, f"{settings.base_url.rstrip('/')}/act/{signed}"


def store_links(session: Session, rows: list[dict]) -> None:
    if rows:
        session.execute(insert(LinkToken.__table__), rows)


def load(session: Session, signed: str, *, for_update: bool = False) -> LinkToken:
    """The token row behind a link, or LinkInvalid with a plain reason."""
    try:
        payload = _serializer().loads(signed, max_age=60 * 60 * 24 * 366)
    except SignatureExpired:
        raise LinkInvalid("This link has expired.") from None
    except BadSignature:
        raise LinkInvalid("This link is not valid. Check you copied all of it.") from None
    stmt = select(LinkToken).where(LinkToken.id == payload.get("t"))
    if for_update:
        stmt = stmt.with_for_update()
    token = session.execute(stmt).scalar_one_or_none()
    if token is None or token.action != payload.get("a"):
        raise LinkInvalid("This link is not valid.")
    if token.used_at is not None:
        raise LinkInvalid("This link has already been used.")
    if token.expires_at < datetime.now(UTC):
        raise LinkInvalid("This link has expired.")
    return token


def use(token: LinkToken) -> None:
    token.used_at = datetime.now(UTC)
