"""Issue 18, item 7 (emails): an email that cannot be rendered or sent is marked failed with its
reason (at once when the refusal is permanent, else after its retries) and never retried for ever;
the other emails of the batch go out."""
from __future__ import annotations

import asyncio
import mailbox

from sqlalchemy import select

from involve.db import reader, unit_of_work
from involve.mail.outbox import email_row, enqueue
from involve.mail.smtp import MaildirSink
from involve.services import delivery
from involve.settings import reset_settings
from models import OutboxEmail

CTX = {"reference": "CLM-TEST", "activity_date": "2026-11-18", "source": "webhook", "reason": "no period"}


def _rows() -> dict[str, OutboxEmail]:
    with reader() as s:
        return {r.template + ":" + r.to_addr: r for r in s.execute(select(OutboxEmail)).scalars()}


def test_undeliverable_and_unrenderable_emails_fail_alone_and_stop_retrying(db, tmp_path, monkeypatch):
    monkeypatch.setenv("INVOLVE_SMTP_RETRY_BASE_SECONDS", "0")
    monkeypatch.setenv("INVOLVE_SMTP_MAX_ATTEMPTS", "3")
    reset_settings()
    with unit_of_work() as s:
        enqueue(s, [email_row(template="claim_set_aside", to="coord@example.nhs.uk", reference="CLM-TEST", context=CTX),
                    email_row(template="claim_set_aside", to="c\u00f6ord@example.nhs.uk", reference="CLM-TEST",
                              context=CTX),
                    email_row(template="no_such_template", to="coord@example.nhs.uk", reference="CLM-TEST",
                              context=CTX)])
    sink = MaildirSink(tmp_path / "mail").start()
    try:
        for _ in range(6):
            asyncio.run(delivery.deliver_batch(smtp_url=sink.url))
    finally:
        sink.stop()
    rows = _rows()
    good = rows["claim_set_aside:coord@example.nhs.uk"]
    assert good.sent_at is not None and good.attempts == 1
    utf8 = rows["claim_set_aside:c\u00f6ord@example.nhs.uk"]
    assert utf8.sent_at is None and utf8.failed_at is not None and utf8.attempts == 1  # permanent: at once
    assert utf8.last_error.startswith("permanent: ")
    broken = rows["no_such_template:coord@example.nhs.uk"]
    assert broken.failed_at is not None and broken.attempts == 3 and "render failed" in broken.last_error
    assert delivery.pending_count() == 0
    assert len(list(mailbox.Maildir(str(tmp_path / "mail"), create=False))) == 1
