"""SMTP transport (aiosmtplib) from INVOLVE_SMTP_URL, and the embedded Maildir sink for `serve`.

URL forms: smtp://host:port, smtp+starttls://user:pass@host:587, smtps://user:pass@host:465.
"""
from __future__ import annotations

import asyncio
import mailbox
import re
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import getaddresses
from pathlib import Path
from urllib.parse import unquote, urlsplit

import aiosmtplib

from involve.mail.render import BuiltEmail


@dataclass(frozen=True)
class SmtpTarget:
    host: str
    port: int
    use_tls: bool = False
    start_tls: bool = False
    username: str | None = None
    password: str | None = None

    @classmethod
    def from_url(cls, url: str) -> SmtpTarget:
        u = urlsplit(url)
        tls, starttls = u.scheme == "smtps", u.scheme == "smtp+starttls"
        default_port = 465 if tls else 587 if starttls else 25
        return cls(host=u.hostname or "localhost", port=u.port or default_port, use_tls=tls, start_tls=starttls,
                   username=unquote(u.username) if u.username else None,
                   password=unquote(u.password) if u.password else None)

    def client(self) -> aiosmtplib.SMTP:
        return aiosmtplib.SMTP(hostname=self.host, port=self.port, use_tls=self.use_tls,
                               start_tls=True if self.start_tls else False, timeout=30,
                               username=self.username, password=self.password)


class MaildirSink:
    """An aiosmtpd server on loopback that stores every message in a Maildir (the embedded default)."""

    def __init__(self, directory: Path, port: int = 0, sock=None) -> None:
        """`sock`: a listening socket bound before (serve binds it once and hands it to the sink's child
        process, involve/runner_process.py), else one on `port` (0: a free one)."""
        from aiosmtpd.controller import Controller

        self.directory = Path(directory)
        for sub in ("tmp", "new", "cur"):  # Maildir(create=True) skips these if the folder exists
            (self.directory / sub).mkdir(parents=True, exist_ok=True)
        box = mailbox.Maildir(str(self.directory), create=False)

        class Handler:
            async def handle_DATA(self, server, session, envelope):  # noqa: N802 - aiosmtpd's name
                box.add(envelope.original_content or envelope.content)
                return "250 Message accepted for delivery"

        if sock is not None:
            port = sock.getsockname()[1]
        elif port == 0:
            import socket

            with socket.socket() as s:
                s.bind(("127.0.0.1", 0))
                port = s.getsockname()[1]
        self.port = port

        class OnSocket(Controller):
            def _create_server(self):
                if sock is None:
                    return super()._create_server()
                return self.loop.create_server(self._factory_invoker, sock=sock)

        self.controller = OnSocket(Handler(), hostname="127.0.0.1", port=port)

    @property
    def url(self) -> str:
        return f"smtp://127.0.0.1:{self.port}"

    def start(self) -> MaildirSink:
        self.controller.start()
        return self

    def stop(self) -> None:
        try:
            self.controller.stop()
        except Exception:  # noqa: BLE001 - stopping twice is harmless
            pass


# a plain address (the outbox's To, almost always): the envelope recipient as it stands
_PLAIN_ADDRESS = re.compile(r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+(?:\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)*@"
                            r"[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+")


def recipients(to: str) -> list[str]:
    """The envelope recipients of one To header: `getaddresses`, except that a plain address (a
    dot-atom, nothing else) is itself, without the parser (measured: docs/performance.md, issue 17 section 7)."""
    if _PLAIN_ADDRESS.fullmatch(to):
        return [to]
    return [addr for _, addr in getaddresses([to])]


async def _send(client: aiosmtplib.SMTP, msg, sender: str) -> None:
    """The outbox's own emails (render.BuiltEmail: one To, 7-bit, already wire bytes) go out as
    bytes, as do plain compat32 messages with one To; `send_message` would copy each and parse and
    flatten it again. Anything else goes through `send_message` unchanged."""
    if isinstance(msg, BuiltEmail) and msg.to.isascii() and sender.isascii():
        await client.sendmail(sender, recipients(msg.to), msg.raw)
        return
    to = msg.get_all("To") or []
    if isinstance(msg, EmailMessage) or len(to) != 1 or msg.get("Cc") or msg.get("Bcc") or \
            not (sender.isascii() and to[0].isascii()):
        await client.send_message(msg, sender=sender)
        return
    await client.sendmail(sender, [addr for _, addr in getaddresses(to)], msg.as_bytes())


PERMANENT = "permanent: "  # a failure sending again cannot fix (the outbox marks the email failed)


def _is_permanent(exc: Exception) -> bool:
    code = getattr(exc, "code", None)
    if isinstance(exc, aiosmtplib.SMTPRecipientsRefused):
        codes = [getattr(r, "code", None) for r in exc.recipients]
        return bool(codes) and all(isinstance(c, int) and 500 <= c < 600 for c in codes)
    if isinstance(exc, aiosmtplib.SMTPNotSupported):  # e.g. a non-ASCII address and no SMTPUTF8
        return True
    return isinstance(code, int) and 500 <= code < 600 and not isinstance(exc, aiosmtplib.SMTPServerDisconnected)


async def send_all(target: SmtpTarget, messages: list[tuple[int, EmailMessage]], sender: str,
                   on_sent=None, connections: int = 1) -> tuple[list[int], dict[int, str]]:
    """Send over up to `connections` connections at once, each taking the next message as it is
    free (with a relay that takes tens of milliseconds per message, one connection waits most of
    the time); returns (ids sent, {id: error}) — a failure stops nothing else. A connection that
    cannot be opened or is lost leaves its share to the others; what none could send fails.
    `on_sent(id)` (async) is awaited as soon as the server has accepted each message."""
    sent, failed = [], {}
    if not messages:
        return sent, failed
    todo = iter(messages)
    attempted: set[int] = set()
    trouble: list[str] = []

    async def one_connection() -> None:
        client = target.client()
        try:
            await client.connect()
        except (aiosmtplib.SMTPException, OSError) as exc:
            trouble.append(f"cannot connect to SMTP {target.host}:{target.port}: {exc}")
            return
        try:
            for outbox_id, msg in todo:
                attempted.add(outbox_id)
                try:
                    await _send(client, msg, sender)
                    sent.append(outbox_id)
                    if on_sent is not None:
                        await on_sent(outbox_id)
                except aiosmtplib.SMTPRecipientsRefused as exc:
                    failed[outbox_id] = (PERMANENT if _is_permanent(exc) else "") + f"recipient refused: {exc}"
                except (aiosmtplib.SMTPException, OSError) as exc:
                    failed[outbox_id] = (PERMANENT if _is_permanent(exc) else "") + f"{type(exc).__name__}: {exc}"
                    if not client.is_connected:
                        trouble.append("connection lost")
                        break
        finally:
            try:
                await client.quit()
            except (aiosmtplib.SMTPException, OSError):
                client.close()

    await asyncio.gather(*(one_connection() for _ in range(max(1, min(connections, len(messages))))))
    for outbox_id, _ in messages:  # nobody could take these: no connection opened, or all were lost
        if outbox_id not in attempted:
            failed[outbox_id] = trouble[-1] if trouble else "not sent"
    return sent, failed
