"""Shared helpers for the benchmarks: ports, subprocesses, peak memory, Prefect, claim data.

Every benchmark runs the project and its yardstick in the same run, one after the other, each in
a process of its own so its peak RSS is its own. Results are rows of a Markdown table.
"""
from __future__ import annotations

import base64
import copy
import hashlib
import hmac
import json
import os
import random
import resource
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PYTHON = sys.executable
INVOLVE = str(Path(sys.executable).with_name("involve"))
EXAMPLE = json.loads((ROOT / "involve" / "examples" / "claim.json").read_text())

LEADS = [f"lead{i}@example.nhs.uk" for i in range(20)]
COORDINATORS = ["coord1@example.nhs.uk", "coord2@example.nhs.uk"]
FINANCE = "finance@example.nhs.uk"
BOROUGHS = ("barking_dagenham", "havering", "redbridge", "waltham_forest", "trust_wide")
KINDS = ("meeting", "interview_panel", "consultation", "training_delivery", "training_received", "other")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def new_secret() -> str:
    return "whsec_" + base64.b64encode(secrets.token_bytes(32)).decode()


def new_data_key() -> str:
    return base64.urlsafe_b64encode(secrets.token_bytes(32)).decode()


def sign(secret: str, msg_id: str, ts: int, body: bytes) -> str:
    key = base64.b64decode(secret.removeprefix("whsec_"))
    mac = hmac.new(key, f"{msg_id}.{ts}.".encode() + body, hashlib.sha256).digest()
    return "v1," + base64.b64encode(mac).decode()


def loadavg() -> str:
    try:
        return " ".join(Path("/proc/loadavg").read_text().split()[:3])
    except OSError:
        return "?"


def self_peak_mb() -> float:
    """This process's peak RSS (Linux reports KiB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def pid_peak_mb(pid: int) -> float | None:
    """A live process's peak RSS (VmHWM); None once it is gone."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        return None
    return None


def cpu_seconds(pid: int) -> float:
    """User + system CPU a process (and its reaped children) has used so far."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return sum(int(x) for x in fields[11:15]) / os.sysconf("SC_CLK_TCK")


def tree_peak_mb(pid: int) -> float | None:
    """Peak RSS of a process plus its live children (uvicorn workers, the Prefect API)."""
    total, seen = 0.0, False
    for p in [pid, *_children(pid)]:
        v = pid_peak_mb(p)
        if v is not None:
            total, seen = total + v, True
    return total if seen else None


def _children(pid: int) -> list[int]:
    """Every descendant of `pid`: the children of each of its threads (a child started from a thread,
    as the web app's intake writer is, is listed under that thread only)."""
    out, todo = [], [pid]
    while todo:
        p = todo.pop()
        kids = []
        for task in Path(f"/proc/{p}/task").glob("*") if Path(f"/proc/{p}/task").is_dir() else []:
            try:
                kids += (task / "children").read_text().split()
            except OSError:
                continue
        for k in map(int, kids):
            out.append(k)
            todo.append(k)
    return out


def base_env(workdir: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("INVOLVE_", "PREFECT_"))}
    env.update({
        "INVOLVE_HOME": str(workdir),
        "INVOLVE_DATABASE_URL": f"sqlite:///{workdir}/involve.db",
        "INVOLVE_WEBHOOK_SECRET": new_secret(),
        "INVOLVE_DATA_KEY": new_data_key(),
        "INVOLVE_FINANCE_EMAIL": FINANCE,
        "PREFECT_HOME": str(workdir / "prefect"),
        "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
        "PREFECT_LOGGING_LEVEL": "WARNING",
        "PYTHONPATH": str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", ""),
    })
    env.update(extra)
    return env


def wait_http(url: str, timeout: float, proc: subprocess.Popen | None = None) -> float:
    """Seconds until `url` answers 200 (polling every 20 ms)."""
    import httpx

    start = time.perf_counter()
    end = start + timeout
    while time.perf_counter() < end:
        if proc is not None and proc.poll() is not None:
            raise RuntimeError(f"process exited with {proc.returncode} before {url} answered")
        try:
            if httpx.get(url, timeout=1).status_code == 200:
                return time.perf_counter() - start
        except httpx.HTTPError:
            pass
        time.sleep(0.02)
    raise RuntimeError(f"{url} did not answer within {timeout} s")


def stop(proc: subprocess.Popen | None, timeout: float = 30) -> None:
    if proc is None or proc.poll() is not None:
        return
    try:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(timeout)
    except (subprocess.TimeoutExpired, ProcessLookupError):
        try:
            os.killpg(proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        proc.wait(10)


def popen(args: list[str], env: dict, cwd: Path, log: Path) -> subprocess.Popen:
    return subprocess.Popen(args, env=env, cwd=cwd, stdout=open(log, "ab"), stderr=subprocess.STDOUT,
                            start_new_session=True)


class PrefectServer:
    """One Prefect API server for the benchmark run (the flows' API, like the ephemeral one)."""

    def __init__(self, workdir: Path) -> None:
        self.workdir = workdir
        self.port = free_port()
        self.proc: subprocess.Popen | None = None

    @property
    def api_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/api"

    def start(self) -> PrefectServer:
        env = base_env(self.workdir)
        env.update({"PREFECT_SERVER_API_HOST": "127.0.0.1", "PREFECT_SERVER_API_PORT": str(self.port),
                    "PREFECT_UI_ENABLED": "false"})
        prefect = str(Path(sys.executable).with_name("prefect"))
        self.proc = popen([prefect, "server", "start", "--no-ui", "--no-services", "--host", "127.0.0.1",
                           "--port", str(self.port)], env, self.workdir, self.workdir / "prefect-server.log")
        wait_http(self.api_url + "/health", 120, self.proc)
        return self

    def stop(self) -> None:
        stop(self.proc)


def run_json(args: list[str], env: dict, cwd: Path, timeout: float = 3600) -> dict:
    """Run a benchmark side in its own process; it prints one JSON line last."""
    r = subprocess.run(args, env=env, cwd=cwd, capture_output=True, text=True, timeout=timeout)
    if r.returncode != 0:
        raise RuntimeError(f"{' '.join(args[:4])} failed ({r.returncode}):\n{r.stderr[-4000:]}")
    return json.loads(r.stdout.strip().splitlines()[-1])


# --- claim data ---------------------------------------------------------------------------

def make_claim(rng: random.Random, n: int, today: date | None = None) -> dict:
    """A valid canonical claim; varied people, dates, kinds, expenses and approvers."""
    today = today or date.today()
    c = copy.deepcopy(EXAMPLE)
    person = n % 2000
    c["submission_id"] = f"bench-{n}"
    c["claimant"] = {"name": f"Person {person}", "email": f"person{person}@example.org"}
    start_h = rng.choice((9, 10, 11, 13, 14))
    c["activity"].update(
        kind=rng.choice(KINDS), title=f"Activity {n % 97}", borough=rng.choice(BOROUGHS),
        date=(today - timedelta(days=1 + rng.randrange(60))).isoformat(),
        start=f"{start_h:02d}:{rng.choice((0, 15, 30)):02d}", end=f"{start_h + rng.choice((1, 2, 3)):02d}:00",
        lead_email=LEADS[n % len(LEADS)] if n % 5 else None, reference=None)
    if n % 3 == 0:
        c["expenses"] = [{"kind": "public_transport", "amount": "4.20", "description": "Bus"}]
    if n % 4 == 0:
        c.pop("payment")
    return c


def seed_people(people: int = 2000) -> None:
    """Staff (leads, coordinators, finance) and half of the claimants in the register."""
    from sqlalchemy import insert

    from involve.db import unit_of_work
    from involve.services.people import add_staff
    from models import Person

    with unit_of_work() as s:
        for e in LEADS:
            add_staff(s, email=e, name=e.split("@")[0], roles=["lead"])
        for e in COORDINATORS:
            add_staff(s, email=e, name=e.split("@")[0], roles=["coordinator"])
        add_staff(s, email=FINANCE, name="Finance", roles=["finance"])
        s.execute(insert(Person), [{"email": f"person{i}@example.org", "name": f"Person {i}", "active": True,
                                    "borough": "havering", "unavailable": [], "conflicts": []}
                                   for i in range(0, people, 2)])


def seed_submitted(count: int, seed: int = 7, chunk: int = 500) -> None:
    """`count` claims as intake stores them (claim, lines, delivery, audit), in chunks."""
    from datetime import UTC, datetime

    from sqlalchemy import insert

    from involve.db import unit_of_work
    from involve.domain.claim_schema import parse_claim
    from involve.services.intake import store_claim
    from models import Delivery

    rng = random.Random(seed)
    for lo in range(0, count, chunk):
        with unit_of_work() as s:
            rows = []
            for n in range(lo, min(count, lo + chunk)):
                ref = store_claim(s, parse_claim(make_claim(rng, n)), source="webhook")
                rows.append({"source": "webhook", "delivery_id": f"seed-{n}", "body_sha256": "0" * 64,
                             "claim_reference": ref, "received_at": datetime.now(UTC)})
            s.execute(insert(Delivery), rows)


def copy_db(src: Path, dst_dir: Path) -> Path:
    dst_dir.mkdir(parents=True, exist_ok=True)
    dst = dst_dir / "involve.db"
    shutil.copy(src, dst)
    return dst


@dataclass
class Row:
    name: str
    project: str
    yardstick: str
    ratio: float | None
    goal: str
    met: bool | None
    peak_project_mb: float | None = None
    peak_yardstick_mb: float | None = None
    notes: list[str] = field(default_factory=list)
    detail: dict = field(default_factory=dict)


def fmt_mb(v: float | None) -> str:
    return "–" if v is None else f"{v:.0f} MB"


def table(rows: list[Row]) -> str:
    out = ["| benchmark | project | yardstick | ratio | goal | met | peak RSS project / yardstick |",
           "| --- | --- | --- | --- | --- | --- | --- |"]
    for r in rows:
        met = "–" if r.met is None else ("yes" if r.met else "**no**")
        ratio = "–" if r.ratio is None else f"{r.ratio:.0f}×" if r.ratio >= 10 else f"{r.ratio:.2f}×"
        out.append(f"| {r.name} | {r.project} | {r.yardstick} | {ratio} | {r.goal} | {met} | "
                   f"{fmt_mb(r.peak_project_mb)} / {fmt_mb(r.peak_yardstick_mb)} |")
    return "\n".join(out)


def add_cluster_arguments(ap) -> None:
    """The options every scale-out bench takes (bench/scaleout.py, bench/workers.py); after parsing,
    `cluster_pg(args, name)` gives the PostgreSQL URL or None (having said why)."""
    ap.add_argument("--senders", type=int, default=4, help="threads POSTing claims")
    ap.add_argument("--pg", default=os.environ.get("INVOLVE_TEST_POSTGRES_URL"),
                    help="PostgreSQL URL whose server gets a fresh database per run "
                         "(default: INVOLVE_TEST_POSTGRES_URL)")
    ap.add_argument("--keep", action="store_true", help="keep each run's work directory (logs)")


def cluster_pg(args, name: str) -> str | None:
    if not args.pg:
        print(f"{name}: needs PostgreSQL: --pg URL or INVOLVE_TEST_POSTGRES_URL", file=sys.stderr)
    return args.pg
