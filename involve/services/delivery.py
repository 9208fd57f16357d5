"""Deliver the outbox: lease due emails, render, send over one SMTP connection, mark them sent.

A lease (lease_until) stops two runners sending the same row; a crash after the SMTP server
accepted a message but before `sent_at` was written is the only way an email goes twice, and
that resend keeps the same Message-ID. Failures retry with exponential backoff (1 min .. 1 h).
"""
from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import or_, select, update

from involve.db import reader, unit_of_work
from involve.mail.render import build_message
from involve.mail.smtp import SmtpTarget, send_all
from involve.settings import settings
from models import OutboxEmail

LEASE = timedelta(minutes=5)


def backoff(attempts: int) -> timedelta:
    return timedelta(seconds=min(3600, 30 * 2 ** max(0, attempts - 1)))


def _due(now: datetime):
    return (OutboxEmail.sent_at.is_(None), OutboxEmail.next_attempt_at <= now,
            or_(OutboxEmail.lease_until.is_(None), OutboxEmail.lease_until < now))


def lease_batch(limit: int) -> list[OutboxEmail]:
    now = datetime.now(UTC)
    with unit_of_work() as session:
        stmt = select(OutboxEmail).where(*_due(now)).order_by(OutboxEmail.id).limit(limit)
        if session.get_bind().dialect.name != "sqlite":
            stmt = stmt.with_for_update(skip_locked=True)
        rows = list(session.execute(stmt).scalars())
        if rows:
            session.execute(update(OutboxEmail).where(OutboxEmail.id.in_([r.id for r in rows]))
                            .values(lease_until=now + LEASE))
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
            failed[r.id] = f"render failed: {type(exc).__name__}: {exc}"
    sent, send_failed = await send_all(SmtpTarget.from_url(url), messages, settings.mail_from)
    failed.update(send_failed)
    now = datetime.now(UTC)
    subjects = {i: str(m["Subject"]) for i, m in messages}
    by_id = {r.id: r for r in rows}
    with unit_of_work() as session:
        if sent:
            session.execute(update(OutboxEmail), [{"id": i, "sent_at": now, "lease_until": None,
                                                   "attempts": by_id[i].attempts + 1, "subject": subjects.get(i),
                                                   "last_error": None} for i in sent])
        if failed:
            session.execute(update(OutboxEmail), [
                {"id": i, "lease_until": None, "attempts": by_id[i].attempts + 1, "last_error": err[:1000],
                 "next_attempt_at": now + backoff(by_id[i].attempts + 1)} for i, err in failed.items()])
    return len(sent), len(failed)
