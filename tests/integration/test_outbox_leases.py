"""A send-email-batch task run sends up to its batch size, leasing a few emails at a time (issue 17
part 5): small leases let senders on other workers share a backlog, and one task run per lease
would cost Prefect more CPU than the sending."""
from __future__ import annotations

import asyncio

from sqlalchemy import func, select

from involve.db import reader, unit_of_work
from involve.mail.outbox import email_row, enqueue
from involve.services import delivery
from involve.settings import settings
from models import OutboxEmail
from tasks.email import send_email_batch
from tests.e2e.harness import SmtpSink

CONTEXT = {"reference": "CLM-TEST", "claimant_name": "Sam", "activity_title": "Panel",
           "activity_date": "2026-11-18", "activity_start": "09:30", "activity_end": "13:15",
           "fee_amount": "80.00", "expenses_amount": "38.00", "total_amount": "118.00"}


def test_one_task_run_sends_its_batch_in_small_leases(db, monkeypatch):
    with unit_of_work() as s:
        enqueue(s, [email_row(template="claim_received", to=f"p{i}@example.org", reference=f"CLM-{i}",
                              context=dict(CONTEXT, reference=f"CLM-{i}"), language=None) for i in range(130)])
    leases: list[int] = []
    real = delivery.lease_batch

    def counting(limit):
        rows = real(limit)
        leases.append(len(rows))
        return rows

    monkeypatch.setattr(delivery, "lease_batch", counting)
    sink = SmtpSink().start()
    monkeypatch.setattr(settings, "smtp_url", f"smtp://127.0.0.1:{sink.port}")
    try:
        assert asyncio.run(send_email_batch.fn(batch_size=120, lease=50)) == (120, 0)
    finally:
        sink.stop()
    assert leases == [50, 50, 20] and len(sink.raw) == 120
    with reader() as s:
        assert s.execute(select(func.count()).select_from(OutboxEmail).where(OutboxEmail.sent_at.is_(None))
                         ).scalar_one() == 10
