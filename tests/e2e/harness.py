"""End-to-end helpers: a real `involve serve` in a subprocess, a real SMTP sink, signed webhooks,
and following action links as a person would (open the page, submit its POST form)."""
from __future__ import annotations

import asyncio
import base64
import email
import email.policy
import hashlib
import hmac
import json
import os
import re
import secrets
import signal
import socket
import subprocess
import sys
import threading
import time
from html.parser import HTMLParser
from pathlib import Path

import httpx
from aiosmtpd.controller import Controller

ROOT = Path(__file__).resolve().parents[2]
INVOLVE = Path(sys.executable).with_name("involve")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class SmtpSink:
    """aiosmtpd on loopback keeping every message; `wait(*words, to=)` polls by Subject words.
    `delay`: seconds the sink waits before answering each DATA (a relay's round trips and its own
    work, e.g. 0.05), so delivery is I/O-bound as against a real relay; connections wait in parallel."""

    def __init__(self, delay: float = 0.0) -> None:
        self.port = free_port()
        self.delay = delay
        self.raw: list[tuple[list[str], bytes]] = []
        self.lock = threading.Lock()
        sink = self

        class Handler:
            async def handle_DATA(self, server, session, envelope):  # noqa: N802
                if sink.delay:
                    await asyncio.sleep(sink.delay)
                with sink.lock:
                    sink.raw.append((list(envelope.rcpt_tos), envelope.content))
                return "250 OK"

        self.controller = Controller(Handler(), hostname="127.0.0.1", port=self.port)

    def start(self) -> SmtpSink:
        self.controller.start()
        return self

    def stop(self) -> None:
        try:
            self.controller.stop()
        except Exception:  # noqa: BLE001
            pass

    @property
    def messages(self) -> list[email.message.EmailMessage]:
        with self.lock:
            raw = list(self.raw)
        out = []
        for rcpts, content in raw:
            msg = email.message_from_bytes(content, policy=email.policy.default)
            msg["X-Rcpt"] = ",".join(rcpts)
            out.append(msg)
        return out

    def find(self, *words: str, to: str | None = None) -> list:
        return [m for m in self.messages
                if all(w.lower() in str(m["Subject"]).lower() for w in words)
                and (to is None or to.lower() in str(m["X-Rcpt"]).lower())]

    def wait(self, *words: str, to: str | None = None, timeout: float = 60.0, count: int = 1) -> list:
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            found = self.find(*words, to=to)
            if len(found) >= count:
                return found
            time.sleep(0.1)
        return self.find(*words, to=to)


def text_of(msg) -> str:
    part = msg.get_body(preferencelist=("plain",))
    return part.get_content() if part else ""


def html_of(msg) -> str:
    part = msg.get_body(preferencelist=("html",))
    return part.get_content() if part else ""


def links(text: str, word: str) -> list[str]:
    return re.findall(rf"^\s*{word}:\s*(\S+)", text, re.M | re.I)


def sign(secret: str, msg_id: str, ts: int, body: bytes) -> str:
    key = base64.b64decode(secret.removeprefix("whsec_"))
    return "v1," + base64.b64encode(hmac.new(key, f"{msg_id}.{ts}.".encode() + body, hashlib.sha256).digest()).decode()


class LiveServer:
    """`involve serve` on a free port with its own work dir, database and the given SMTP sink."""

    def __init__(self, workdir: Path, smtp_port: int, *, database_url: str | None = None,
                 extra_env: dict | None = None) -> None:
        self.workdir = workdir
        self.port = free_port()
        self.secret = "whsec_" + base64.b64encode(secrets.token_bytes(32)).decode()
        self.finance = "finance@example.nhs.uk"
        self.admin = "admin@example.nhs.uk"  # the first admin (`involve init`, on the first start)
        self.proc: subprocess.Popen | None = None
        # nothing of this test process's own settings: no INVOLVE_*, and no Prefect API that some
        # in-process test pointed this process at (the server starts its own unless extra_env names one)
        self.env = {k: v for k, v in os.environ.items() if not k.startswith("INVOLVE_") and k != "PREFECT_API_URL"}
        self.env.update({
            "INVOLVE_HOME": str(workdir),  # generated keys (links, audit) under workdir/var
            # one client address drives every test against this server: limits are tested in tests/security
            "INVOLVE_RATE_LIMIT_FORM": "10000/minute",
            "INVOLVE_RATE_LIMIT_SIGNIN": "10000/minute",
            "INVOLVE_DATABASE_URL": database_url or f"sqlite:///{workdir}/involve.db",
            "INVOLVE_SMTP_URL": f"smtp://127.0.0.1:{smtp_port}",
            "INVOLVE_WEBHOOK_SECRET": self.secret,
            "INVOLVE_FINANCE_EMAIL": self.finance,
            "INVOLVE_BASE_URL": self.url,
            "INVOLVE_DATA_KEY": base64.urlsafe_b64encode(secrets.token_bytes(32)).decode(),
            "PREFECT_HOME": str(workdir / "prefect"),
            "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
        })
        self.env.update(extra_env or {})

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self, timeout: float = 120.0) -> LiveServer:
        self.log = open(self.workdir / "serve.log", "ab")
        self.proc = subprocess.Popen([str(INVOLVE), "serve", "--port", str(self.port)], cwd=self.workdir,
                                     env=self.env, stdout=self.log, stderr=subprocess.STDOUT,
                                     start_new_session=True)
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            if self.proc.poll() is not None:
                raise RuntimeError("involve serve exited:\n" + self.log_tail())
            try:
                if httpx.get(self.url + "/health", timeout=2).status_code == 200:
                    self.cli("init", "--admin", self.admin, "--name", "Admin")  # exit 2 when staff exist: fine
                    return self
            except httpx.HTTPError:
                pass
            time.sleep(0.2)
        raise RuntimeError("involve serve did not answer /health:\n" + self.log_tail())

    def stop(self, sig: int = signal.SIGTERM, timeout: float = 30.0) -> int | None:
        if not self.proc or self.proc.poll() is not None:
            return self.proc.poll() if self.proc else None
        os.killpg(self.proc.pid, sig)
        try:
            return self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            os.killpg(self.proc.pid, signal.SIGKILL)
            return self.proc.wait(10)

    def log_tail(self, n: int = 30) -> str:
        try:
            return "\n".join((self.workdir / "serve.log").read_text(errors="replace").splitlines()[-n:])
        except OSError:
            return ""

    def cli(self, *args: str, timeout: float = 120.0) -> subprocess.CompletedProcess:
        return subprocess.run([str(INVOLVE), *args], cwd=self.workdir, env=self.env, capture_output=True,
                              text=True, timeout=timeout)

    def cli_json(self, *args: str):
        r = self.cli(*args, "--json")
        try:
            return r, json.loads(r.stdout)
        except json.JSONDecodeError:
            return r, None

    def post_claim(self, claim: dict | bytes, msg_id: str | None = None, ts: int | None = None,
                   secret: str | None = None, headers: dict | None = None, client=None) -> httpx.Response:
        body = claim if isinstance(claim, bytes) else json.dumps(claim).encode()
        msg_id = msg_id or "msg_" + secrets.token_hex(8)
        ts = int(time.time()) if ts is None else ts
        h = {"content-type": "application/json", "webhook-id": msg_id, "webhook-timestamp": str(ts),
             "webhook-signature": sign(secret or self.secret, msg_id, ts, body)}
        h.update(headers or {})
        return (client or httpx).post(self.url + "/webhooks/claims", content=body, headers=h, timeout=30)


class _FormParser(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.action: str | None = None
        self.fields: dict[str, str] = {}
        self._in = self._done = False

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if self._done:
            return
        if tag == "form" and (a.get("method") or "").lower() == "post" and not self._in:
            self._in, self.action = True, a.get("action") or ""
        elif self._in and tag in ("input", "button") and a.get("name"):
            kind = (a.get("type") or "").lower()
            if tag == "button" or kind == "submit":
                self.fields.setdefault(a["name"], a.get("value") or "")
            elif kind not in ("checkbox", "radio") or "checked" in a:
                self.fields[a["name"]] = a.get("value") or ""

    def handle_endtag(self, tag):
        if tag == "form" and self._in:
            self._in, self._done = False, True


def act_on_link(url: str, data: dict | None = None) -> httpx.Response:
    """Open the link's page, then submit its first POST form (as the acceptance harness does)."""
    with httpx.Client(follow_redirects=True, timeout=30) as c:
        page = c.get(url)
        form = _FormParser()
        form.feed(page.text)
        if form.action is None:
            return page
        target = str(httpx.URL(str(page.url)).join(form.action)) if form.action else str(page.url)
        return c.post(target, data=dict(form.fields, **(data or {})))
