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


def _queue(n: int) -> None:
    with unit_of_work() as s:
        enqueue(s, [email_row(template="claim_received", to=f"q{i}@example.org", reference=f"CLM-Q{i}",
                              context=dict(CONTEXT, reference=f"CLM-Q{i}"), language=None) for i in range(n)])


def _unsent() -> int:
    with reader() as s:
        return s.execute(select(func.count()).select_from(OutboxEmail).where(OutboxEmail.sent_at.is_(None))
                         ).scalar_one()


def _deliver(monkeypatch, **params) -> dict:
    """deliver-outbox's own code (`.fn`), its task's too: no Prefect API in a unit of the flow."""
    import flows.outbox

    monkeypatch.setattr(flows.outbox, "send_email_batch", send_email_batch.fn)
    sink = SmtpSink().start()
    monkeypatch.setattr(settings, "smtp_url", f"smtp://127.0.0.1:{sink.port}")
    try:
        return asyncio.run(flows.outbox.deliver_outbox.fn(**params))
    finally:
        sink.stop()


def test_the_embedded_runners_delivery_gives_way_to_waiting_claims(db, example_claim, monkeypatch):
    """The embedded runner runs one flow at a time: with claims waiting, deliver-outbox stops after one
    task run, so the next cycle processes them (and queues their emails) before the rest is sent."""
    from involve.services.processing import claims_waiting
    from tests.integration.test_lifecycle import setup_people, submit

    _queue(70)
    setup_people()
    submit(example_claim, "waiting")
    assert claims_waiting()
    emails_before = _unsent()
    assert _deliver(monkeypatch, batch_size=20, give_way_to_claims=True) == {"sent": 20, "failed": 0}
    assert _unsent() == emails_before - 20
    # a worker's deliver-outbox (no give-way) sends everything that is due, claims waiting or not
    assert _deliver(monkeypatch, batch_size=20) == {"sent": emails_before - 20, "failed": 0}
    assert _unsent() == 0


def test_a_set_aside_claim_does_not_hold_the_emails_back(db, example_claim, monkeypatch):
    """A claim set aside waits for a person, not for the runner: it must not stop delivery for ever."""
    from involve.services.processing import claims_waiting
    from models import Claim
    from tests.integration.test_lifecycle import setup_people, submit

    setup_people()
    ref = submit(example_claim, "held").reference
    with unit_of_work() as s:
        s.query(Claim).filter_by(reference=ref).update({"hold_reason": "cannot be processed: test"})
    assert not claims_waiting()
    _queue(50)
    assert _deliver(monkeypatch, batch_size=20, give_way_to_claims=True) == {"sent": 50, "failed": 0}
