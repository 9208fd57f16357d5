"""A scale-out cluster on one machine, for tests/scaleout and bench/scaleout.py: a real
`prefect server start`, a fresh PostgreSQL database for involve, `make deploy`, N `make worker`
processes and `INVOLVE_RUNNER=deployments involve serve`, with a real SMTP sink.

Longer than ~300 lines on purpose: starting and stopping every process of a cluster (server, workers,
serve, sink) belongs together so that `stop()` can never miss one.

Every process starts in a session of its own; `stop()` SIGKILLs each process group and every
descendant (Prefect starts each flow run in a session of its own, so killing the worker's group
alone would leave its flow runs running), drops the database and removes nothing else.
"""
from __future__ import annotations

import copy
import json
import os
import re
import signal
import subprocess
import sys
import threading
import time
import uuid
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path

import httpx

from tests.e2e.harness import LiveServer, SmtpSink, free_port

ROOT = Path(__file__).resolve().parents[2]
PREFECT = str(Path(sys.executable).with_name("prefect"))
COORD = "coordinator@example.nhs.uk"
EXAMPLE = json.loads((ROOT / "involve" / "examples" / "claim.json").read_text())


# ---- processes -----------------------------------------------------------------------------------

def _proc_table() -> dict[int, int]:
    """pid -> parent pid, from /proc."""
    table = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as fh:
                stat = fh.read()
        except OSError:
            continue
        fields = stat[stat.rindex(")") + 2:].split()
        table[int(entry)] = int(fields[1])
    return table


def descendants(pid: int) -> list[int]:
    table = _proc_table()
    children: dict[int, list[int]] = {}
    for p, parent in table.items():
        children.setdefault(parent, []).append(p)
    out, todo = [], [pid]
    while todo:
        for child in children.get(todo.pop(), []):
            out.append(child)
            todo.append(child)
    return out


@dataclass
class Proc:
    """A subprocess in a session of its own, its output in a log file."""

    name: str
    popen: subprocess.Popen
    log: Path
    killed: bool = False

    @classmethod
    def start(cls, name: str, args: list[str], *, env: dict, cwd: Path, log: Path) -> Proc:
        fh = open(log, "ab")
        popen = subprocess.Popen(args, env=env, cwd=cwd, stdout=fh, stderr=subprocess.STDOUT,
                                 stdin=subprocess.DEVNULL, start_new_session=True)
        fh.close()
        return cls(name, popen, log)

    def tail(self, n: int = 40) -> str:
        try:
            return "\n".join(self.log.read_text(errors="replace").splitlines()[-n:])
        except OSError:
            return ""

    def signal_group(self, sig: int) -> None:
        try:
            os.killpg(self.popen.pid, sig)
        except ProcessLookupError:
            pass

    def kill(self) -> list[int]:
        """SIGKILL the process, its group and every descendant (each may lead a group of its own);
        returns the pids of the descendants that were alive."""
        self.killed = True
        pids = descendants(self.popen.pid)
        for pid in [self.popen.pid, *pids]:
            for kill in (lambda p: os.killpg(p, signal.SIGKILL), lambda p: os.kill(p, signal.SIGKILL)):
                try:
                    kill(pid)
                except (ProcessLookupError, PermissionError):
                    pass
        try:
            self.popen.wait(10)
        except subprocess.TimeoutExpired:
            pass
        return pids


# ---- the cluster ---------------------------------------------------------------------------------

@dataclass
class Cluster:
    workdir: Path
    pg_base_url: str
    lease_seconds: float = 15.0  # INVOLVE_OUTBOX_LEASE_SECONDS: a killed sender's emails go again after this
    smtp_delay: float = 0.0  # the sink waits this long before answering each DATA (a relay's delay)
    worker_extra_env: dict = field(default_factory=dict)  # more settings for the workers (benchmarks)
    procs: list[Proc] = field(default_factory=list)
    workers: list[Proc] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.workdir.mkdir(parents=True, exist_ok=True)
        self.prefect_port = free_port()
        self.api_url = f"http://127.0.0.1:{self.prefect_port}/api"
        self.db_name = f"involve_scaleout_{uuid.uuid4().hex[:10]}"
        self.database_url = _with_database(self.pg_base_url, self.db_name)
        self.sink = SmtpSink(delay=self.smtp_delay)
        self.live: LiveServer | None = None
        self.prefect_env = {k: v for k, v in os.environ.items() if not k.startswith(("PREFECT_", "INVOLVE_"))}
        self.prefect_env.update({
            "PREFECT_HOME": str(self.workdir / "prefect-home"),
            "PREFECT_API_URL": self.api_url,
            "PREFECT_SERVER_API_HOST": "127.0.0.1",
            "PREFECT_SERVER_API_PORT": str(self.prefect_port),
            "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
            "PREFECT_UI_ENABLED": "false",
            "PREFECT_CLOUD_ENABLE_ORCHESTRATION_TELEMETRY": "false",
            "PREFECT_WORKER_QUERY_SECONDS": "1",  # default 10: hand-offs start sooner
        })

    # -- parts --

    def start_prefect_server(self) -> Proc:
        proc = Proc.start("prefect-server", [PREFECT, "server", "start", "--host", "127.0.0.1", "--port",
                                             str(self.prefect_port)],
                          env=self.prefect_env, cwd=self.workdir, log=self.workdir / "prefect-server.log")
        self.procs.append(proc)
        return proc

    def wait_prefect_server(self, proc: Proc, timeout: float = 120.0) -> None:
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            if proc.popen.poll() is not None:
                raise RuntimeError("prefect server exited:\n" + proc.tail())
            try:
                if httpx.get(self.api_url + "/health", timeout=2).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.2)
        raise RuntimeError("prefect server did not answer /api/health:\n" + proc.tail())

    def create_database(self) -> None:
        from sqlalchemy import create_engine, text

        admin = create_engine(_with_database(self.pg_base_url, "postgres"), isolation_level="AUTOCOMMIT")
        with admin.connect() as c:
            c.execute(text(f'CREATE DATABASE "{self.db_name}"'))
        admin.dispose()

    def drop_database(self) -> None:
        from sqlalchemy import create_engine, text

        admin = create_engine(_with_database(self.pg_base_url, "postgres"), isolation_level="AUTOCOMMIT")
        with admin.connect() as c:
            c.execute(text(f'DROP DATABASE IF EXISTS "{self.db_name}" WITH (FORCE)'))
        admin.dispose()

    def make(self, target: str) -> list[str]:
        """`make TARGET` with this interpreter's environment as the venv (install is already done)."""
        return ["make", "--no-print-directory", "-C", str(ROOT), "-o", "install", target,
                f"VENV={sys.prefix}"]

    def deploy(self) -> subprocess.CompletedProcess:
        r = subprocess.run(self.make("deploy"), env=self.prefect_env, capture_output=True, text=True,
                           timeout=180)
        (self.workdir / "deploy.log").write_text(r.stdout + r.stderr)
        if r.returncode != 0:
            raise RuntimeError(f"make deploy failed ({r.returncode}):\n{r.stdout[-3000:]}\n"
                               f"{r.stderr[-3000:]}")
        return r

    def server(self) -> LiveServer:
        """The involve web service (not started yet): INVOLVE_RUNNER=deployments, our database and sink."""
        if self.live is None:
            self.live = LiveServer(self.workdir, self.sink.port, database_url=self.database_url, extra_env={
                "INVOLVE_RUNNER": "deployments", "PREFECT_API_URL": self.api_url,
                "PREFECT_HOME": str(self.workdir / "prefect-home"),
                "INVOLVE_OUTBOX_LEASE_SECONDS": str(self.lease_seconds)})
        return self.live

    def worker_env(self) -> dict:
        """What a worker machine has: the same INVOLVE_* settings as serve, and the Prefect server."""
        env = {k: v for k, v in self.server().env.items()
               if k.startswith("INVOLVE_") and k != "INVOLVE_RUNNER"}
        env.update(self.prefect_env)
        env["INVOLVE_OUTBOX_LEASE_SECONDS"] = str(self.lease_seconds)
        env.update(self.worker_extra_env)
        return env

    def start_worker(self, name: str) -> Proc:
        env = dict(self.worker_env(), PGAPPNAME=f"scaleout-{name}")  # its flow runs' connections, by name
        proc = Proc.start(name, self.make("worker"), env=env, cwd=self.workdir,
                          log=self.workdir / f"{name}.log")
        self.procs.append(proc)
        self.workers.append(proc)
        return proc

    def wait_workers(self, timeout: float = 60.0) -> None:
        end = time.monotonic() + timeout
        pending = list(self.workers)
        while pending and time.monotonic() < end:
            for w in list(pending):
                if w.popen.poll() is not None:
                    raise RuntimeError(f"{w.name} exited:\n" + w.tail())
                if "started!" in w.tail(200):
                    pending.remove(w)
            time.sleep(0.2)
        if pending:
            raise RuntimeError(f"{pending[0].name} did not start:\n" + pending[0].tail())

    def start(self, workers: int = 2) -> Cluster:
        """Everything, overlapping the slow start-ups: Prefect server, database + serve (migrates), staff,
        deploy, workers."""
        began = time.monotonic()
        self.timings: dict[str, float] = {}

        def lap(name: str) -> None:
            self.timings[name] = round(time.monotonic() - began, 1)

        self.sink.start()
        prefect = self.start_prefect_server()
        self.create_database()
        live = self.server()
        live.start()
        lap("serve")
        r = live.cli("staff", "add", "--email", COORD, "--name", "Co-ordinator", "--role", "coordinator",
                     "--by", live.admin)
        if r.returncode != 0:
            raise RuntimeError("staff add failed: " + r.stderr)
        lap("staff")
        self.wait_prefect_server(prefect)
        lap("prefect server")
        for i in range(workers):  # a worker creates the pool if it is missing; make deploy tolerates that
            self.start_worker(f"worker-{i + 1}")
        self.deploy()
        lap("deploy")
        self.wait_workers()
        lap("workers")
        self.startup_seconds = time.monotonic() - began
        return self

    def stop(self) -> None:
        if self.live:
            self.live.stop(signal.SIGKILL)
        for p in reversed(self.procs):
            p.kill()
        self.sink.stop()
        try:
            from involve.db import dispose_engines

            dispose_engines()
            self.drop_database()
        except Exception as exc:  # noqa: BLE001 - cleaning up; report, don't mask the test's own failure
            print(f"could not drop {self.db_name}: {exc}", file=sys.stderr)

    # -- observing --

    def claim_statuses(self) -> dict[str, int]:
        from sqlalchemy import text

        from involve.db import get_engine

        with get_engine(self.database_url).connect() as c:
            return dict(c.execute(text("SELECT status, count(*) FROM claims GROUP BY status")).all())

    def wait_processed(self, claims: int, deadline: float) -> None:
        """Until `claims` claims are awaiting approval; RuntimeError after `deadline` (time.monotonic())."""
        import time

        while self.claim_statuses().get("awaiting_approval", 0) < claims:
            if time.monotonic() > deadline:
                raise RuntimeError(f"not all processed: {self.claim_statuses()}")
            time.sleep(0.2)

    def process_records(self) -> dict[str, int]:
        """claim reference -> number of `process` audit records."""
        from sqlalchemy import text

        from involve.db import get_engine

        with get_engine(self.database_url).connect() as c:
            return dict(c.execute(text(
                "SELECT reference, count(*) FROM audit_records "
                "WHERE entity = 'claim' AND action = 'process' GROUP BY reference")).all())

    def last_processed_at(self):
        from sqlalchemy import text

        from involve.db import get_engine

        with get_engine(self.database_url).connect() as c:
            return c.execute(text("SELECT max(processed_at) FROM claims")).scalar_one()

    def writing(self, worker: Proc) -> str | None:
        """What one of `worker`'s flow runs is doing, if it is inside a transaction that has written:
        a processing batch (claims locked FOR UPDATE, links, audit) or an outbox lease or mark."""
        from sqlalchemy import text

        from involve.db import get_engine

        with get_engine(self.database_url).connect() as c:
            return c.execute(text(
                "SELECT t.relname || ': ' || a.query FROM pg_stat_activity a "
                "JOIN pg_locks l ON l.pid = a.pid JOIN pg_class t ON t.oid = l.relation "
                "WHERE a.application_name = :app AND a.xact_start IS NOT NULL AND l.granted "
                "AND l.mode = 'RowExclusiveLock' "
                "AND t.relname IN ('claims', 'link_tokens', 'audit_records', 'outbox') LIMIT 1"),
                {"app": f"scaleout-{worker.name}"}).scalar_one_or_none()

    def deployment_names(self) -> set[str]:
        """"flow-name/deployment-name" of every deployment on the Prefect server."""
        import asyncio

        return asyncio.run(_deployment_names(self.api_url))

    def flow_runs(self) -> list:
        """(deployment name, flow run) for every flow run of a deployment on the Prefect server."""
        import asyncio

        return asyncio.run(_flow_runs(self.api_url))


async def _flow_runs(api_url: str) -> list:
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.filters import FlowRunFilter, FlowRunFilterDeploymentId
    from prefect.settings import PREFECT_API_URL, temporary_settings

    with temporary_settings({PREFECT_API_URL: api_url}):
        async with get_client() as client:
            deployments = {d.id: d.name for d in await client.read_deployments()}
            runs = await client.read_flow_runs(
                flow_run_filter=FlowRunFilter(deployment_id=FlowRunFilterDeploymentId(is_null_=False)))
    return [(deployments.get(r.deployment_id, str(r.deployment_id)), r) for r in runs]


async def _deployment_names(api_url: str) -> set[str]:
    from prefect.client.orchestration import get_client
    from prefect.settings import PREFECT_API_URL, temporary_settings

    with temporary_settings({PREFECT_API_URL: api_url}):
        async with get_client() as client:
            flows = {f.id: f.name for f in await client.read_flows()}
            return {f"{flows.get(d.flow_id)}/{d.name}" for d in await client.read_deployments()}


def _with_database(url: str, name: str) -> str:
    from sqlalchemy.engine import make_url

    return make_url(url).set(database=name).render_as_string(hide_password=False)


# ---- claims --------------------------------------------------------------------------------------

def claim(i: int, run: str) -> dict:
    c = copy.deepcopy(EXAMPLE)
    c["submission_id"] = f"scaleout-{run}-{i}"
    c["claimant"] = {"name": f"Claimant {i}", "email": f"claimant{i}.{run}@example.org"}
    c["activity"].update(date=(date.today() - timedelta(days=3)).isoformat(), lead_email=COORD)
    return c


@dataclass
class Sender:
    """POSTs `n` signed claims from `threads` threads; `refs` fills as they are accepted (202)."""

    live: LiveServer
    n: int
    threads: int = 1
    run: str = field(default_factory=lambda: uuid.uuid4().hex[:6])
    refs: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    started: float = 0.0
    finished: float = 0.0

    def start(self) -> Sender:
        self._threads = [threading.Thread(target=self._send, args=(range(k, self.n, self.threads),),
                                          daemon=True) for k in range(self.threads)]
        self.started = time.time()
        for t in self._threads:
            t.start()
        return self

    def alive(self) -> bool:
        return any(t.is_alive() for t in self._threads)

    def _send(self, indices: range) -> None:
        with httpx.Client() as client:
            for i in indices:
                try:
                    r = self.live.post_claim(claim(i, self.run), msg_id=f"msg_{self.run}_{i}", client=client)
                    if r.status_code == 202:
                        self.refs.append(r.json()["reference"])
                    else:
                        self.errors.append(f"{i}: {r.status_code} {r.text[:200]}")
                except httpx.HTTPError as exc:
                    self.errors.append(f"{i}: {exc!r}")
        self.finished = max(self.finished, time.time())

    def join(self, timeout: float = 300) -> None:
        end = time.monotonic() + timeout
        for t in self._threads:
            t.join(max(0.0, end - time.monotonic()))


class MailLog:
    """What the sink received, read incrementally (headers only: parsing every message on every
    poll would starve the sink, which runs in this process)."""

    def __init__(self, sink: SmtpSink) -> None:
        self.sink, self.seen = sink, 0
        self.counts: dict[tuple[str, str], int] = {}  # (reference, "received" | "approval") -> messages
        self.message_ids: dict[str, int] = {}
        self.recipients: dict[str, set[str]] = {"received": set(), "approval": set()}
        self.multi_recipient = 0

    def update(self) -> MailLog:
        from email.parser import BytesHeaderParser
        from email.policy import default

        with self.sink.lock:
            new = self.sink.raw[self.seen:]
        self.seen += len(new)
        parser = BytesHeaderParser(policy=default)
        for rcpts, content in new:
            headers = parser.parsebytes(content)
            subject = str(headers["Subject"]).lower()
            ref = re.search(r"clm-[\w-]+", subject)
            kind = "approval" if "approval" in subject else "received" if "received" in subject else ""
            if ref and kind:
                key = (ref.group(0).upper(), kind)
                self.counts[key] = self.counts.get(key, 0) + 1
                self.recipients[kind].update(rcpts)
            mid = str(headers["Message-ID"])
            self.message_ids[mid] = self.message_ids.get(mid, 0) + 1
            self.multi_recipient += len(rcpts) != 1
        return self

    @property
    def total(self) -> int:
        return self.seen

    @property
    def duplicates(self) -> int:
        """Messages that arrived more than once (counted per reference and kind)."""
        return sum(n - 1 for n in self.counts.values())

    @property
    def same_message_id_twice(self) -> int:
        """Messages resent with the same Message-ID (an outbox row sent again after a crash)."""
        return sum(n - 1 for n in self.message_ids.values())
