"""Helpers shared by the fast reliability tests and `make soak` (tests/reliability/soak.py).

Longer than ~300 lines on purpose: the soak and the fast tests must share one copy of each helper.

- `PrefectApi`: one Prefect server for a whole run, so each `involve serve` (and each restart
  after a SIGKILL) does not pay a Prefect start-up; its API is also what the canary test reads.
- `Server`: `involve serve` (tests/e2e/harness.LiveServer) with kill/restart, direct database
  reads and a Prefect API URL.
- `Sink`: an SMTP server that can go down and come back on the same port.
- `Canary`: unique bank details and a health word, and where they must never appear.
- `Ledger` / `account`: Jepsen-style accounting of what the client was told against what the
  database holds: lost (acknowledged, not stored), unexpected (stored, never sent) and duplicated.
"""

from __future__ import annotations

import asyncio
import base64
import copy
import email
import email.policy
import hashlib
import hmac
import json
import os
import re
import secrets
import signal
import subprocess
import sys
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path

import httpx

from tests.e2e.harness import LiveServer, free_port

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = json.loads((ROOT / "involve" / "examples" / "claim.json").read_text())
LEAD, COORD, COORD2, FINANCE = (
    "lead.rel@example.nhs.uk",
    "coord.rel@example.nhs.uk",
    "coord2.rel@example.nhs.uk",
    "finance@example.nhs.uk",
)


def wait_until(predicate, timeout: float, interval: float = 0.25, what: str = "condition"):
    end = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > end:
            raise AssertionError(f"timed out after {timeout:.0f}s waiting for {what}")
        time.sleep(interval)


# ---- Prefect ------------------------------------------------------------------------------------


class PrefectApi:
    """`prefect server start` on loopback with its own PREFECT_HOME."""

    def __init__(self, home: Path) -> None:
        self.home = home
        self.port = free_port()
        self.proc: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/api"

    def start(self, timeout: float = 120.0) -> PrefectApi:
        env = {k: v for k, v in os.environ.items() if not k.startswith(("PREFECT_", "INVOLVE_"))}
        env.update(
            PREFECT_HOME=str(self.home),
            PREFECT_SERVER_ANALYTICS_ENABLED="false",
            PREFECT_UI_ENABLED="false",
            PREFECT_SERVER_API_HOST="127.0.0.1",
        )
        prefect = Path(sys.executable).with_name("prefect")
        self.home.mkdir(parents=True, exist_ok=True)
        self.log = open(self.home / "server.log", "ab")
        self.proc = subprocess.Popen(
            [str(prefect), "server", "start", "--host", "127.0.0.1", "--port", str(self.port)],
            env=env,
            stdout=self.log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            if self.proc.poll() is not None:
                raise RuntimeError("prefect server exited: " + (self.home / "server.log").read_text()[-2000:])
            try:
                if httpx.get(self.url + "/health", timeout=2).status_code == 200:
                    return self
            except httpx.HTTPError:
                pass
            time.sleep(0.3)
        raise RuntimeError("prefect server did not start")

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(20)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait(10)

    def dump(self) -> str:
        """Everything the API holds about runs: flow runs (parameters, state messages), task runs,
        logs, artifacts and variables, as one JSON text."""
        out = {}
        with httpx.Client(base_url=self.url, timeout=30) as c:
            for name in ("flow_runs", "task_runs", "logs", "artifacts", "variables"):
                rows, offset = [], 0
                while True:
                    r = c.post(f"/{name}/filter", json={"limit": 200, "offset": offset})
                    if r.status_code != 200:
                        break
                    page = r.json()
                    rows += page
                    if len(page) < 200:
                        break
                    offset += 200
                out[name] = rows
        return json.dumps(out)


# ---- SMTP -----------------------------------------------------------------------------------------


class Sink:
    """aiosmtpd on a fixed loopback port that can be stopped (connections refused) and started again."""

    def __init__(self, port: int | None = None) -> None:
        self.port = port or free_port()
        self.raw: list[tuple[list[str], bytes]] = []
        self.lock = threading.Lock()
        self.controller = None

    def start(self) -> Sink:
        from aiosmtpd.controller import Controller

        sink = self

        class Handler:
            async def handle_DATA(self, server, session, envelope):  # noqa: N802
                with sink.lock:
                    sink.raw.append((list(envelope.rcpt_tos), envelope.original_content or envelope.content))
                return "250 OK"

        end = time.monotonic() + 30
        while True:
            try:
                self.controller = Controller(Handler(), hostname="127.0.0.1", port=self.port)
                self.controller.start()
                return self
            except (OSError, RuntimeError):
                if time.monotonic() > end:
                    raise
                time.sleep(0.5)

    def stop(self) -> None:
        if self.controller is not None:
            try:
                self.controller.stop()
            except Exception:  # noqa: BLE001
                pass
            self.controller = None

    @property
    def messages(self) -> list[email.message.EmailMessage]:
        with self.lock:
            raw = list(self.raw)
        return [email.message_from_bytes(content, policy=email.policy.default) for _, content in raw]

    def find(self, *words: str, to: str | None = None) -> list:
        with self.lock:
            raw = list(self.raw)
        out = []
        for rcpts, content in raw:
            msg = email.message_from_bytes(content, policy=email.policy.default)
            if all(w.lower() in str(msg["Subject"]).lower() for w in words) and (
                to is None or any(to.lower() == r.lower() for r in rcpts)
            ):
                out.append(msg)
        return out

    def message_ids(self) -> Counter:
        return Counter(str(m["Message-ID"]) for m in self.messages)

    def all_text(self) -> str:
        """Every header and every decoded part of every message, plus the raw bytes."""
        with self.lock:
            raw = list(self.raw)
        chunks = []
        for _, content in raw:
            chunks.append(content.decode("utf-8", "replace"))
            msg = email.message_from_bytes(content, policy=email.policy.default)
            chunks += [f"{k}: {v}" for k, v in msg.items()]
            for part in msg.walk():
                if not part.is_multipart():
                    try:
                        chunks.append(str(part.get_content()))
                    except (LookupError, ValueError):
                        chunks.append(str(part.get_payload(decode=True)))
        return "\n".join(chunks)


# ---- the canary --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Canary:
    account_number: str
    sort_code: str
    account_name: str
    health_word: str

    @classmethod
    def make(cls) -> Canary:
        n = secrets.randbelow(10**6)
        return cls(
            account_number=f"79{n:06d}",
            sort_code=f"8{secrets.randbelow(10)}-9{secrets.randbelow(10)}-{secrets.randbelow(100):02d}",
            account_name=f"Canary {secrets.token_hex(4)}",
            health_word=f"clozapine{secrets.token_hex(3)}",
        )

    def patterns(self) -> dict[str, re.Pattern]:
        return {
            "account_number": re.compile(rf"(?<!\d){self.account_number}(?!\d)"),
            "sort_code": re.compile(rf"(?<![\d-]){re.escape(self.sort_code)}(?![\d-])"),
            "sort_code_digits": re.compile(rf"(?<!\d){self.sort_code.replace('-', '')}(?!\d)"),
            "account_name": re.compile(re.escape(self.account_name), re.I),
            "health_word": re.compile(re.escape(self.health_word), re.I),
        }

    def leaks(self, text: str) -> list[str]:
        return [name for name, p in self.patterns().items() if p.search(text)]


# ---- claims --------------------------------------------------------------------------------------


def claim(
    n: int, *, tag: str, canary: Canary | None = None, days_ago: int = 3, lead: str = LEAD, big: bool = False
) -> dict:
    """A valid canonical claim, distinct by `n` (own claimant, own submission id `tag-n`)."""
    c = copy.deepcopy(EXAMPLE)
    c["submission_id"] = f"{tag}-{n}"
    c["claimant"] = {"name": f"Person {tag} {n}", "email": f"p{n}.{tag}@example.org".lower()}
    start_min = 8 * 60 + (n % 40) * 5
    c["activity"].update(
        date=(date.today() - timedelta(days=days_ago)).isoformat(),
        start=f"{start_min // 60:02d}:{start_min % 60:02d}",
        end=f"{(start_min + 120) // 60:02d}:{(start_min + 120) % 60:02d}",
        lead_email=lead,
        kind="meeting",
        reference=None,
        title=f"Reliability meeting {n}",
    )
    if canary:
        c["payment"] = {
            "method": "bank_transfer",
            "account_name": canary.account_name,
            "sort_code": canary.sort_code,
            "account_number": canary.account_number,
        }
        c["expenses"][0]["description"] = f"Taxi home: my {canary.health_word} dose left me unwell"
    if big:
        c["expenses"].append({"kind": "support", "amount": "400.00", "receipt": "bsl-invoice.pdf"})
    return c


def sign(secret: str, msg_id: str, ts: int, body: bytes) -> str:
    key = base64.b64decode(secret.removeprefix("whsec_"))
    mac = hmac.new(key, f"{msg_id}.{ts}.".encode() + body, hashlib.sha256).digest()
    return "v1," + base64.b64encode(mac).decode()


def signed_headers(secret: str, msg_id: str, body: bytes, ts: int | None = None) -> dict:
    ts = int(time.time()) if ts is None else ts
    return {
        "content-type": "application/json",
        "webhook-id": msg_id,
        "webhook-timestamp": str(ts),
        "webhook-signature": sign(secret, msg_id, ts, body),
    }


# ---- the server ------------------------------------------------------------------------------------


class Server(LiveServer):
    def __init__(
        self,
        workdir: Path,
        smtp_port: int,
        *,
        prefect: PrefectApi | None = None,
        database_url: str | None = None,
        extra_env: dict | None = None,
    ) -> None:
        env = {"INVOLVE_OUTBOX_LEASE_SECONDS": "5"}
        if prefect:
            env["PREFECT_API_URL"] = prefect.url
        env.update(extra_env or {})
        super().__init__(workdir, smtp_port, database_url=database_url, extra_env=env)
        self.database_url = self.env["INVOLVE_DATABASE_URL"]
        self.canary = Canary.make()

    def kill(self) -> None:
        self.stop(signal.SIGKILL, timeout=10)

    def restart(self, **env) -> Server:
        self.stop()
        for k, v in env.items():
            if v is None:
                self.env.pop(k, None)
            else:
                self.env[k] = v
        return self.start()

    def wait_dead(self, timeout: float = 60.0) -> int:
        wait_until(lambda: self.proc.poll() is not None, timeout, what="the server to die at its faultpoint")
        return self.proc.returncode

    def python(self, code: str, env: dict | None = None) -> subprocess.CompletedProcess:
        r = subprocess.run(
            [sys.executable, "-c", code],
            cwd=self.workdir,
            env=dict(self.env, **(env or {})),
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert r.returncode == 0, r.stderr
        return r

    def add_staff(self) -> None:
        self.python(
            "from involve.db import unit_of_work\n"
            "from involve.services.people import add_staff\n"
            "with unit_of_work() as s:\n"
            f"    add_staff(s, email={LEAD!r}, name='Lead', roles=['lead'])\n"
            f"    add_staff(s, email={COORD!r}, name='Co-ordinator', roles=['coordinator'])\n"
            f"    add_staff(s, email={COORD2!r}, name='Co-ordinator 2', roles=['coordinator', 'ppi_lead'])\n"
            f"    add_staff(s, email={FINANCE!r}, name='Finance', roles=['finance'])\n"
        )

    def query(self, sql: str, params: dict | None = None) -> list[tuple]:
        from sqlalchemy import create_engine, text
        from sqlalchemy.pool import NullPool

        engine = create_engine(self.database_url, poolclass=NullPool)
        try:
            with engine.connect() as c:
                return [tuple(r) for r in c.execute(text(sql), params or {})]
        finally:
            engine.dispose()

    def claims(self, prefix: str | None = None) -> list[tuple[str, str, str]]:
        """(reference, submission_id, status) of every claim (whose submission id starts with prefix)."""
        rows = self.query("SELECT reference, submission_id, status FROM claims")
        return [r for r in rows if prefix is None or (r[1] or "").startswith(prefix)]

    def statuses(self, prefix: str) -> Counter:
        return Counter(s for _, _, s in self.claims(prefix))

    def post(
        self,
        body: dict | bytes,
        msg_id: str,
        *,
        ts: int | None = None,
        secret: str | None = None,
        headers: dict | None = None,
        client: httpx.Client | None = None,
    ) -> httpx.Response:
        raw = body if isinstance(body, bytes) else json.dumps(body).encode()
        h = signed_headers(secret or self.secret, msg_id, raw, ts)
        h.update(headers or {})
        return (client or httpx).post(self.url + "/webhooks/claims", content=raw, headers=h, timeout=60)

    def leaks(
        self, sink: Sink | None = None, prefect: PrefectApi | None = None, extra: str = ""
    ) -> dict[str, list[str]]:
        """Where the canary shows up unmasked: serve.log, every email, the Prefect API, `extra`."""
        found = {}
        places = {"serve.log": (self.workdir / "serve.log").read_text(errors="replace"), "extra": extra}
        if sink:
            places["emails"] = sink.all_text()
        if prefect:
            places["prefect"] = prefect.dump()
        for where, text in places.items():
            hits = self.canary.leaks(text)
            if hits:
                found[where] = hits
        return found


# ---- load and accounting --------------------------------------------------------------------------


@dataclass
class Attempt:
    delivery_id: str
    submission_id: str
    status: int | None
    reference: str | None = None
    error: str | None = None


@dataclass
class Ledger:
    attempts: list[Attempt] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def add(self, a: Attempt) -> None:
        with self.lock:
            self.attempts.append(a)

    def acked(self) -> dict[str, set[str]]:
        """submission id -> references the server acknowledged (2xx) for it."""
        out: dict[str, set[str]] = {}
        for a in self.attempts:
            if a.status in (200, 202):
                out.setdefault(a.submission_id, set()).add(a.reference)
        return out

    def sent(self) -> set[str]:
        return {a.submission_id for a in self.attempts}

    def count(self, pred) -> int:
        return sum(1 for a in self.attempts if pred(a))


async def _post_all(
    url: str,
    secret: str,
    items: list[tuple[str, str, bytes]],
    concurrency: int,
    ledger: Ledger,
    stop: threading.Event | None = None,
) -> None:
    sem = asyncio.Semaphore(concurrency)
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    async with httpx.AsyncClient(base_url=url, timeout=60, limits=limits) as client:

        async def one(delivery_id: str, submission_id: str, body: bytes) -> None:
            async with sem:
                if stop is not None and stop.is_set():
                    return
                try:
                    r = await client.post(
                        "/webhooks/claims", content=body, headers=signed_headers(secret, delivery_id, body)
                    )
                    ref = r.json().get("reference") if r.status_code in (200, 202) else None
                    ledger.add(
                        Attempt(
                            delivery_id,
                            submission_id,
                            r.status_code,
                            ref,
                            None if r.status_code < 300 else r.text[:300],
                        )
                    )
                except (httpx.HTTPError, ValueError) as exc:
                    cause = exc.__cause__ or exc.__context__
                    why = f"{type(exc).__name__}: {exc}" + (f" ({type(cause).__name__}: {cause})" if cause else "")
                    ledger.add(Attempt(delivery_id, submission_id, None, None, why[:300]))

        await asyncio.gather(*(one(*it) for it in items))


def post_all(
    server: Server,
    items: list[tuple[str, str, bytes]],
    concurrency: int = 32,
    ledger: Ledger | None = None,
    stop: threading.Event | None = None,
) -> Ledger:
    """POST (delivery id, submission id, body) items, `concurrency` at a time, into a ledger."""
    ledger = ledger or Ledger()
    asyncio.run(_post_all(server.url, server.secret, items, concurrency, ledger, stop))
    return ledger


def retry_unanswered(
    server: Server,
    items: list[tuple[str, str, bytes]],
    ledger: Ledger,
    concurrency: int = 8,
    waits: tuple[float, ...] = (1.0, 2.0, 4.0),
) -> None:
    """Send again, as a webhook sender does, every delivery none of whose attempts got an answer: the
    same delivery id and body, re-signed, after each of `waits` seconds until answered. Idempotent by
    delivery id: a delivery the server stored without answering is answered 200 with its reference."""
    by_id = {it[0]: it for it in items}
    for wait in waits:
        answered = {a.delivery_id for a in ledger.attempts if a.status is not None}
        todo = sorted({a.delivery_id for a in ledger.attempts if a.status is None} - answered)
        if not todo:
            return
        time.sleep(wait)
        post_all(server, [by_id[d] for d in todo], concurrency, ledger)


def items_for(
    tag: str, n: int, *, canary: Canary | None = None, start: int = 0
) -> list[tuple[str, str, bytes]]:
    out = []
    for i in range(start, start + n):
        body = json.dumps(claim(i, tag=tag, canary=canary)).encode()
        out.append((f"msg_{tag}_{i}", f"{tag}-{i}", body))
    return out


@dataclass
class Accounting:
    sent: int
    acked: int
    stored: int
    lost: list[str]
    unexpected: list[str]
    duplicated: list[str]

    def __str__(self) -> str:
        return (
            f"sent {self.sent}, acknowledged {self.acked}, stored {self.stored}, lost {len(self.lost)}, "
            f"unexpected {len(self.unexpected)}, duplicated {len(self.duplicated)}"
        )


def account(ledger: Ledger, server: Server, prefix: str) -> Accounting:
    """Jepsen-style: compare what clients were told with what the database holds."""
    rows = server.claims(prefix)
    by_sub: dict[str, list[str]] = {}
    for ref, sub, _ in rows:
        by_sub.setdefault(sub, []).append(ref)
    acked, sent = ledger.acked(), ledger.sent()
    lost = sorted(s for s, refs in acked.items() if not refs <= set(by_sub.get(s, [])))
    unexpected = sorted(s for s in by_sub if s not in sent)
    duplicated = sorted(s for s, refs in by_sub.items() if len(refs) > 1)
    duplicated += sorted(s for s, refs in acked.items() if len(refs) > 1 and s not in duplicated)
    return Accounting(len(sent), len(acked), len(rows), lost, unexpected, duplicated)


@dataclass
class Result:
    scenario: str
    requests: int
    lost: int
    duplicated: int
    leaked: int
    ok: bool = True
    note: str = ""


class Failed(AssertionError):
    """A scenario that failed after counting: the soak prints its row (`result`, ok False) instead of zeros."""

    def __init__(self, message: str, result: Result) -> None:
        super().__init__(message)
        result.ok = False
        result.note = message if not result.note else f"{message}; {result.note}"
        self.result = result


def table(results: list[Result]) -> str:
    head = ("scenario", "requests", "lost", "duplicated", "leaked", "result")
    rows = [head] + [
        (r.scenario, str(r.requests), str(r.lost), str(r.duplicated), str(r.leaked), "ok" if r.ok else "FAIL")
        for r in results
    ]
    widths = [max(len(r[i]) for r in rows) for i in range(len(head))]
    lines = [
        "  ".join(
            c.ljust(w) if i == 0 else c.rjust(w) for i, (c, w) in enumerate(zip(r, widths, strict=True))
        )
        for r in rows
    ]
    lines.insert(1, "  ".join("-" * w for w in widths))
    notes = [f"  {r.scenario}: {r.note}" for r in results if r.note]
    return "\n".join(lines + (["", "notes:"] + notes if notes else []))
