"""Signed, expiring, single-use action links (itsdangerous + a `link_tokens` row).

The URL carries a signed token id. A GET shows a page; only the POST from that page acts, and
acting marks the row used in the same transaction, so a link works once.
"""
from __future__ import annotations

import hmac
import json
import re
import secrets
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import lru_cache

from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer
from itsdangerous.encoding import base64_encode, int_to_bytes
from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from involve.errors import LinkInvalid
from involve.i18n import _
from involve.settings import settings
from models import LinkToken


def _serializer() -> URLSafeTimedSerializer:
    return _serializer_for(tuple(settings.link_signing_keys))


@lru_cache(maxsize=4)
def _serializer_for(keys: tuple[str, ...]) -> URLSafeTimedSerializer:
    """Signs with the newest INVOLVE_LINK_KEY; accepts every listed one (rotation keeps links valid)."""
    return URLSafeTimedSerializer(list(keys), salt="involve-action-link")


@lru_cache(maxsize=4)
def _mac_for(keys: tuple[str, ...]) -> hmac.HMAC:
    """The serializer's HMAC keyed once with its derived key (the newest INVOLVE_LINK_KEY)."""
    signer = _serializer_for(keys).make_signer()
    return hmac.new(signer.derive_key(), digestmod=signer.digest_method)


_PLAIN = re.compile(r"[A-Za-z0-9_.-]*")  # token ids (token_urlsafe) and action names


def _sign(token_id: str, action: str) -> str:
    """What `_serializer().dumps({"t": token_id, "a": action})` returns (the compact JSON payload, `.`,
    the timestamp, `.`, the HMAC of both), which its `loads` checks. itsdangerous derives the key (a
    SHA-1 of salt and secret) and sets up an HMAC again for every token, and tries zlib on the payload
    (kept only when shorter, never for a random 22-character id; uncompressed is always accepted); here
    the keyed HMAC is made once and copied (claim processing makes about three tokens a claim)."""
    if _PLAIN.fullmatch(token_id) and _PLAIN.fullmatch(action):  # nothing to escape: json.dumps' own text
        text = f'{{"t":"{token_id}","a":"{action}"}}'
    else:
        text = json.dumps({"t": token_id, "a": action}, separators=(",", ":"), ensure_ascii=False)
    payload = base64_encode(text.encode())
    value = payload + b"." + base64_encode(int_to_bytes(int(time.time())))
    mac = _mac_for(tuple(settings.link_signing_keys)).copy()
    mac.update(value)
    return (value + b"." + base64_encode(mac.digest())).decode()


def issue(session: Session, *, action: str, reference: str, holder: str, data: dict | None = None,
          days: int | None = None, path: str = "/act/", now: datetime | None = None) -> str:
    """Create a link token row and return the full URL for it (`path`: a page of its own, such as
    the claimant's `/claims/yours/`, instead of the action-link pages; `now`: when it is made, for
    code that runs on `involve.clock`)."""
    row, url = new_link(action=action, reference=reference, holder=holder, data=data, days=days, path=path,
                        now=now)
    session.add(LinkToken(**row))
    return url


def new_link(*, action: str, reference: str, holder: str, data: dict | None = None,
             days: int | None = None, path: str = "/act/", now: datetime | None = None) -> tuple[dict, str]:
    """(the link_tokens row, its URL) without touching the session: batch code (claim processing)
    makes many and inserts the rows with one `store_links` (Core executemany, not one ORM object
    each). The link works only once that row is committed."""
    days = days or settings.link_max_age_days
    token_id = secrets.token_urlsafe(16)
    now = now or datetime.now(UTC)
    row = {"id": token_id, "action": action, "reference": reference, "holder_email": holder, "data": data,
           "created_at": now, "expires_at": now + timedelta(days=days),
           "used_at": None}
    return row, f"{settings.base_url.rstrip('/')}{path}{_sign(token_id, action)}"


def signed_token(token: LinkToken) -> str:
    """A fresh signature for an existing token (a page that posts its form to another path)."""
    return _sign(token.id, token.action)


def store_links(session: Session, rows: list[dict]) -> None:
    if rows:
        session.execute(insert(LinkToken.__table__), rows)


def load(session: Session, signed: str, *, for_update: bool = False) -> LinkToken:
    """The token row behind a link, or LinkInvalid with a plain reason."""
    try:
        payload = _serializer().loads(signed, max_age=60 * 60 * 24 * 366)
    except SignatureExpired:
        raise LinkInvalid(_("This link has expired.")) from None
    except BadSignature:
        raise LinkInvalid(_("This link is not valid. Check you copied all of it.")) from None
    stmt = select(LinkToken).where(LinkToken.id == payload.get("t"))
    if for_update:
        stmt = stmt.with_for_update()
    token = session.execute(stmt).scalar_one_or_none()
    if token is None or token.action != payload.get("a"):
        raise LinkInvalid(_("This link is not valid."))
    if token.used_at is not None:
        raise LinkInvalid(_("This link has already been used."))
    if token.expires_at < datetime.now(UTC):
        raise LinkInvalid(_("This link has expired."))
    return token


@dataclass(frozen=True)
class Issued:
    """One link made for a reference: when, until when, and when it was used (None: not yet)."""
    created_at: datetime
    expires_at: datetime
    used_at: datetime | None


def issued(session: Session, *, action: str, references: list[str]) -> dict[str, list[Issued]]:
    """Every `action` link made for each of `references`, oldest first (references with none left out)."""
    out: dict[str, list[Issued]] = {}
    for i in range(0, len(references), 500):
        rows = session.execute(select(LinkToken.reference, LinkToken.created_at, LinkToken.expires_at,
                                      LinkToken.used_at)
                               .where(LinkToken.action == action, LinkToken.reference.in_(references[i:i + 500]))
                               .order_by(LinkToken.created_at)).all()
        for ref, created, expires, used in rows:
            out.setdefault(ref, []).append(Issued(created, expires, used))
    return out


def use(token: LinkToken) -> None:
    token.used_at = datetime.now(UTC)
