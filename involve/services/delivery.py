"""Deliver the outbox: lease due emails, render, send over a few SMTP connections at once
(INVOLVE_SMTP_CONNECTIONS), mark them sent.

A lease (lease_until) stops two runners sending the same row; a crash after the SMTP server
accepted a message but before `sent_at` was written is the only way an email goes twice, and
that resend keeps the same Message-ID. Failures retry with exponential backoff
(INVOLVE_SMTP_RETRY_BASE_SECONDS, 30 s, doubling up to 1 h). Accepted emails are recorded as sent
in groups of MARK_EVERY while the batch goes on.
"""
from __future__ import annotations

import asyncio
import logging
import time
from datetime import UTC, datetime, timedelta

from sqlalchemy import bindparam, or_, select, update
from sqlalchemy.exc import SQLAlchemyError

from involve import faults
from involve.db import reader, unit_of_work
from involve.mail.render import build_message
from involve.mail.smtp import PERMANENT, SmtpTarget, send_all
from involve.settings import settings
from models import OutboxEmail

MARK_EVERY = 10  # record accepted emails as sent in groups of this many, during the batch
# one row's outcome by primary key, Core executemany: the ORM's bulk update by primary key cost about a
# third of marking's CPU, and marking was a sixth of a delivered email's (docs/performance.md, issue 17)
_OUTBOX = OutboxEmail.__table__
_UPDATE_ROW = update(_OUTBOX).where(_OUTBOX.c.id == bindparam("_id"))
log = logging.getLogger("involve.delivery")


def backoff(attempts: int) -> timedelta:
    base, cap = settings.smtp_retry_base_seconds, settings.smtp_retry_max_seconds
    return timedelta(seconds=min(cap, base * 2 ** min(30, max(0, attempts - 1))))


def lease() -> timedelta:
    """How long a sender holds the rows it took: a sender killed mid-batch leaves its unsent rows
    leased until then, and then another sender takes them (INVOLVE_OUTBOX_LEASE_SECONDS)."""
    return timedelta(seconds=settings.outbox_lease_seconds)


def _due(now: datetime):
    return (OutboxEmail.sent_at.is_(None), OutboxEmail.next_attempt_at <= now, OutboxEmail.failed_at.is_(None),
            or_(OutboxEmail.lease_until.is_(None), OutboxEmail.lease_until < now))


def lease_batch(limit: int) -> list[OutboxEmail]:
    now = datetime.now(UTC)
    with unit_of_work() as session:
        stmt = select(OutboxEmail).where(*_due(now)).order_by(OutboxEmail.id).limit(limit)
        stmt = stmt.with_for_update(skip_locked=True)
        rows = list(session.execute(stmt).scalars())
        if rows:
            until = now + lease()
            session.execute(update(OutboxEmail).where(OutboxEmail.id.in_([r.id for r in rows]))
                            .values(lease_until=until))
            for r in rows:
                r.lease_until = until  # the batch's lease: deliver_batch renews it by this value
        return rows


def pending_count() -> int:
    from sqlalchemy import func

    with reader() as s:
        return s.execute(select(func.count()).select_from(OutboxEmail).where(*_due(datetime.now(UTC)))).scalar_one()


async def deliver_batch(*, limit: int = 500, smtp_url: str | None = None) -> tuple[int, int]:
    """Send one leased batch; returns (sent, failed)."""
    rows = lease_batch(limit)
    if not rows:
        return 0, 0
    url = smtp_url or settings.smtp_url
    if not url:
        raise RuntimeError("no SMTP server configured (INVOLVE_SMTP_URL)")
    messages, failed = [], {}
    for r in rows:
        try:
            messages.append((r.id, build_message(template=r.template, context=r.context, to=r.to_addr,
                                                 sender=settings.mail_from, outbox_id=r.id)))
        except Exception as exc:  # noqa: BLE001 - a template bug must not block the rest of the batch
            # an address that is not plain ASCII cannot be written into the message: sending again never helps
            permanent = PERMANENT if not (r.to_addr or "").isascii() else ""
            failed[r.id] = f"{permanent}render failed: {type(exc).__name__}: {exc}"
    subjects = {i: str(m["Subject"]) for i, m in messages}
    by_id = {r.id: r for r in rows}
    accepted: list[int] = []
    marked: set[int] = set()
    held = [rows[0].lease_until]  # the lease every row of this batch carries

    def mark(ids: list[int], errors: dict[int, str]) -> None:
        now = datetime.now(UTC)
        rest = [i for i in by_id if i not in marked and i not in errors and i not in ids]
        until = now + lease()
        with unit_of_work() as session:
            if rest:
                # renew the lease on the rest of the batch, so a long batch or a slow SMTP server never
                # outlives it (another sender would take those rows and send them too); a row whose lease
                # already ran out and was taken by another sender keeps that sender's lease
                session.execute(update(OutboxEmail).where(OutboxEmail.id.in_(rest),
                                                          OutboxEmail.lease_until == held[0])
                                .values(lease_until=until).execution_options(synchronize_session=False))
            if ids:
                session.execute(_UPDATE_ROW, [
                    {"_id": i, "sent_at": now, "lease_until": None, "attempts": by_id[i].attempts + 1,
                     "subject": subjects.get(i), "last_error": None} for i in ids])
            if errors:
                session.execute(_UPDATE_ROW, [
                    {"_id": i, "lease_until": None, "attempts": by_id[i].attempts + 1, "last_error": err[:1000],
                     "next_attempt_at": now + backoff(by_id[i].attempts + 1),
                     "failed_at": now if gives_up(err, by_id[i].attempts + 1) else None}
                    for i, err in errors.items()])
        marked.update(ids, errors)
        held[0] = until

    marking = asyncio.Lock()  # the connections mark in turn: one marking transaction at a time

    async def on_sent(outbox_id: int) -> None:
        # the server has the message: record that now, in small groups, so a crash or a database
        # outage later in the batch resends as few emails as possible
        faults.point("deliver.after_send")
        accepted.append(outbox_id)
        if len(accepted) >= MARK_EVERY:
            ids = accepted[:]
            accepted.clear()
            async with marking:
                await asyncio.to_thread(_retrying, mark, ids, {})

    sent, send_failed = await send_all(SmtpTarget.from_url(url), messages, settings.mail_from,
                                       on_sent=on_sent, connections=settings.smtp_connections)
    failed.update(send_failed)
    async with marking:
        await asyncio.to_thread(_retrying, mark, accepted, failed)
    return len(sent), len(failed)


def gives_up(error: str, attempts: int) -> bool:
    """Mark the email failed (never retried again): a permanent refusal, or out of attempts."""
    if error.startswith(PERMANENT) or attempts >= settings.smtp_max_attempts:
        log.warning("email given up after %d attempt(s): %s", attempts, error[:200])
        return True
    return False


def _retrying(fn, *args, tries: int = 6) -> None:
    """Run a marking transaction, riding out a short database outage (1, 2, 4, 8, 16 s apart):
    giving up leaves the rows leased, and they are sent again when the lease ends."""
    for attempt in range(tries):
        try:
            return fn(*args)
        except SQLAlchemyError:
            if attempt == tries - 1:
                raise
            log.warning("could not record sent emails yet (database unavailable); retrying")
            time.sleep(2 ** attempt)
