"""The embedded Maildir sink that `serve` starts when INVOLVE_SMTP_URL is unset, and the SMTP URL forms."""
from __future__ import annotations

import asyncio
import mailbox

import pytest

from involve.mail.render import build_message
from involve.mail.smtp import MaildirSink, SmtpTarget, send_all

CONTEXT = {"reference": "CLM-TEST", "claimant_name": "Sam", "activity_title": "Panel",
           "activity_date": "2026-11-18", "activity_start": "09:30", "activity_end": "13:15",
           "fee_amount": "80.00", "expenses_amount": "38.00", "total_amount": "118.00"}


@pytest.mark.parametrize("existing", [False, True])
def test_sink_stores_mail_in_a_maildir(tmp_path, existing):
    folder = tmp_path / "mail"
    if existing:
        folder.mkdir()
    sink = MaildirSink(folder).start()
    try:
        msg = build_message(template="claim_received", context=CONTEXT, to="sam@example.org",
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


def test_several_connections_send_at_once_each_message_once():
    """INVOLVE_SMTP_CONNECTIONS (issue 17 part 5): with a relay that takes a while per message, the
    messages go over several connections at once, each message exactly once."""
    import threading

    from aiosmtpd.controller import Controller

    from tests.e2e.harness import free_port

    seen: list[bytes] = []
    busy, peak, lock = [0], [0], threading.Lock()

    class SlowRelay:
        async def handle_DATA(self, server, session, envelope):  # noqa: N802 - aiosmtpd's name
            with lock:
                busy[0] += 1
                peak[0] = max(peak[0], busy[0])
            await asyncio.sleep(0.05)
            with lock:
                busy[0] -= 1
                seen.append(envelope.content)
            return "250 OK"

    port = free_port()
    relay = Controller(SlowRelay(), hostname="127.0.0.1", port=port)
    relay.start()
    try:
        messages = [(i, build_message(template="claim_received", to=f"p{i}@example.org", sender="x@localhost",
                                      outbox_id=i, context=dict(CONTEXT, reference=f"CLM-{i}")))
                    for i in range(1, 13)]
        acked: list[int] = []

        async def on_sent(i):
            acked.append(i)

        sent, failed = asyncio.run(send_all(SmtpTarget("127.0.0.1", port), messages, "x@localhost",
                                            on_sent=on_sent, connections=4))
    finally:
        relay.stop()
    assert failed == {} and sorted(sent) == sorted(acked) == list(range(1, 13))
    assert len(seen) == 12 and peak[0] == 4


def test_unreachable_smtp_with_several_connections_fails_each_message_once():
    sent, failed = asyncio.run(send_all(SmtpTarget("127.0.0.1", 1), [(1, object()), (2, object()), (3, object())],  # type: ignore[list-item]
                                        "x@localhost", connections=4))
    assert sent == [] and set(failed) == {1, 2, 3} and all("cannot connect" in e for e in failed.values())
