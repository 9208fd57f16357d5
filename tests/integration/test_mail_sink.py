"""The embedded Maildir sink that `serve` starts when INVOLVE_SMTP_URL is unset, and the SMTP URL forms."""
from __future__ import annotations

import asyncio
import mailbox

import pytest

from involve.mail.render import build_message
from involve.mail.smtp import MaildirSink, SmtpTarget, send_all


@pytest.mark.parametrize("existing", [False, True])
def test_sink_stores_mail_in_a_maildir(tmp_path, existing):
    folder = tmp_path / "mail"
    if existing:
        folder.mkdir()
    sink = MaildirSink(folder).start()
    try:
        ctx = {"reference": "CLM-TEST", "claimant_name": "Sam", "activity_title": "Panel",
               "activity_date": "2026-11-18", "activity_start": "09:30", "activity_end": "13:15",
               "fee_amount": "80.00", "expenses_amount": "38.00", "total_amount": "118.00"}
        msg = build_message(template="claim_received", context=ctx, to="sam@example.org",
                            sender="involvement@localhost", outbox_id=1)
        sent, failed = asyncio.run(send_all(SmtpTarget.from_url(sink.url), [(1, msg)], "involvement@localhost"))
    finally:
        sink.stop()
    assert (sent, failed) == ([1], {})
    [stored] = list(mailbox.Maildir(str(folder), create=False))
    assert "CLM-TEST" in stored["Subject"] and "received" in stored["Subject"]


@pytest.mark.parametrize(("url", "expected"), [
    ("smtp://mail:2525", SmtpTarget("mail", 2525)),
    ("smtp+starttls://u%40x:p%3Aw@mail:587", SmtpTarget("mail", 587, start_tls=True, username="u@x", password="p:w")),
    ("smtps://mail", SmtpTarget("mail", 465, use_tls=True)),
])
def test_smtp_urls(url, expected):
    assert SmtpTarget.from_url(url) == expected


def test_unreachable_smtp_fails_every_message_without_raising():
    target = SmtpTarget("127.0.0.1", 1)
    sent, failed = asyncio.run(send_all(target, [(1, object()), (2, object())], "x@localhost"))  # type: ignore[list-item]
    assert sent == [] and set(failed) == {1, 2}
