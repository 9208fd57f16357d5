"""End to end on the real `involve serve` (issue 17): thousands of signed claims, as fast as it takes them.

The embedded default (SQLite, INVOLVE_RUNNER=embedded: the web process, the runner and the Prefect
API children), with INVOLVE_SMTP_URL pointing at an aiosmtpd sink in a process of its own that
records when each message arrives (bench/pipeline.py's sink; the same kind of sink the raw
yardstick sends to). Staff are in the register, so each claim queues a "received" email and one
approval email per approver (template `claim_approval`).

- N distinct, validly signed claims are built beforehand and sent once each by wrk (16 connections,
  bench/wrk_once.lua: it cannot send one twice or wait for ever; wrk's -d is the hard bound).
- t0: the first request (the mtime of the marker each wrk thread writes as it starts sending).
- t_claims: when every claim is stored and none is left `submitted` (the database polled read-only
  every 20 ms). claims/s = N ÷ (t_claims − t0).
- t_mail: when the last approval email of those claims reached the sink. emails/s = the emails that
  reached it by then ÷ (t_mail − t0); the yardstick: raw aiosmtplib sending those same messages,
  rendered beforehand, over one connection to a fresh sink of the same kind (bench/pipeline.py).
- CPU seconds of each process (serve's web process, runner, Prefect API, sink, wrk, this poller),
  while claims were taken and processed, then while the rest of the mail went out.

A warm-up of 50 claims goes through first (the Prefect API's first flow runs), not measured.
"""
from __future__ import annotations

import json
import os
import resource
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

from bench.common import (
    INVOLVE,
    PYTHON,
    Row,
    _children,
    base_env,
    copy_db,
    cpu_seconds,
    free_port,
    popen,
    run_json,
    stop,
    tree_peak_mb,
    wait_http,
)
from bench.intake import CONNECTIONS, THREADS, write_requests
from bench.wrk_once import Wrk

POLL = 0.02  # seconds between two looks at the database while claims wait (t_claims is one of these looks)
TIMELINE = 1.0  # seconds between two samples of claims stored and processed (how intake and processing went)
POLL_MAIL = 0.25  # then, until no email is unsent (t_mail comes from the sink's own clock)


class Db:
    """The serve's SQLite database, read-only (WAL: readers never block its writers)."""

    def __init__(self, path: Path) -> None:
        self.c = sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=30, isolation_level=None)

    def one(self, sql: str, *args):
        return self.c.execute(sql, args).fetchone()

    def claims(self) -> tuple[int, bool]:
        """(the last claim's id: claims stored, as nothing is deleted; is one waiting to be processed, i.e.
        `submitted` and not set aside?). Two index lookups: polled every 20 ms, it must cost little."""
        return (self.one("SELECT coalesce(max(id), 0) FROM claims")[0],
                bool(self.one("SELECT EXISTS (SELECT 1 FROM claims WHERE status = 'submitted' AND hold_reason IS NULL)"
                              )[0]))

    def submitted(self) -> int:
        return self.one("SELECT count(*) FROM claims WHERE status = 'submitted'")[0]

    def unsent(self) -> bool:
        return bool(self.one("SELECT EXISTS (SELECT 1 FROM outbox WHERE sent_at IS NULL AND failed_at IS NULL)")[0])


def burst(db: Db, prefix: Path, url: str, n: int, before: int, *, bound: int, deadline: float,
          on_claims=None) -> dict:
    """Send the n claims at PREFIX once; poll until they are all processed and no email is left unsent.
    `before`: claims in the database already. Returns the wrk result and the times (time.time())."""
    wrk = Wrk(prefix, url, bound)
    launched = time.time()
    t_claims = interrupted = None
    end = launched + deadline
    timeline: list[tuple[float, int, int]] = []  # (time, claims stored, claims submitted) every TIMELINE s
    try:
        while time.time() < end:
            if t_claims is None and time.time() >= (timeline[-1][0] + TIMELINE if timeline else 0):
                timeline.append((time.time(), db.claims()[0] - before, db.submitted()))
            if interrupted is None and all(Path(f"{prefix}-{t}.done").exists() for t in range(THREADS)):
                wrk.interrupt()
                interrupted = time.time()
            if t_claims is None:
                stored, waiting = db.claims()
                if stored >= before + n and not waiting:
                    t_claims = time.time()
                    if on_claims:
                        on_claims()
            elif not db.unsent():
                break
            else:
                time.sleep(POLL_MAIL - POLL)
            if not wrk.running() and interrupted is None and db.claims()[0] < before + n:
                time.sleep(5)  # wrk ended before every claim was answered: give the last ones time to commit
                if db.claims()[0] < before + n:
                    raise RuntimeError(f"wrk ended with {db.claims()[0] - before} of {n} claims stored")
            time.sleep(POLL)
        else:
            raise RuntimeError(f"not done within {deadline:.0f} s (claims processed: {t_claims is not None}, "
                               f"emails unsent: {db.unsent()})")
    finally:
        res = wrk.result()
    missing = [t for t in range(THREADS) if not Path(f"{prefix}-{t}.done").exists()]
    if missing:
        raise RuntimeError(f"wrk threads {missing} did not get an answer to every claim: {res}")
    starts = [os.stat(f"{prefix}-{t}.start").st_mtime for t in range(THREADS)]
    answered = [os.stat(f"{prefix}-{t}.done").st_mtime for t in range(THREADS)]
    return {"wrk": res, "launched": launched, "t0": min(starts), "answered": max(answered), "t_claims": t_claims,
            "t_unsent_none": time.time(), "timeline": timeline}


def processes(serve: int, sink: int) -> dict[str, int]:
    out = {"web (serve)": serve}
    for p in _children(serve):
        try:
            cmd = Path(f"/proc/{p}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
        except OSError:
            continue
        name = ("runner" if "involve.runner_process" in cmd else "Prefect API" if "involve.prefect_api" in cmd
                else "intake writer" if "involve.intake_writer" in cmd else f"other: {cmd[:60]}")
        out[name] = p
    out["sink"] = sink
    return out


def cpu(procs: dict[str, int]) -> dict[str, float]:
    got = {}
    for name, pid in procs.items():
        try:
            got[name] = cpu_seconds(pid)
        except OSError:
            got[name] = float("nan")
    u = resource.getrusage(resource.RUSAGE_SELF)
    got["poller (this process)"] = u.ru_utime + u.ru_stime
    return got


def per_second(times: list[float]) -> list[int]:
    counts = [0] * (int(max(times, default=0)) + 1)
    for t in times:
        counts[int(t)] += 1
    return counts


def spy(procs: dict[str, int], folder: str | None) -> list[subprocess.Popen]:
    """BENCH_PYSPY=FOLDER: py-spy (/work/tools/bin/py-spy, or PY_SPY) samples the web process and the runner
    during the burst, 100 Hz, without pausing them (--nonblocking); collapsed stacks in FOLDER/<name>.txt."""
    if not folder:
        return []
    Path(folder).mkdir(parents=True, exist_ok=True)
    exe = os.environ.get("PY_SPY", "/work/tools/bin/py-spy")
    return [subprocess.Popen([exe, "record", "--nonblocking", "-r", "100", "--format", "raw", "-p", str(procs[name]),
                              "-o", str(Path(folder) / f"{name.split()[0]}.txt")],
                             stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            for name in ("web (serve)", "runner", "intake writer") if name in procs]


def side_people() -> dict:
    from bench.common import seed_people
    from involve.migrate import upgrade

    upgrade()
    seed_people()
    return {"ok": True}


def run(workdir: Path, *, claims: int = 5_000, warm: int = 50) -> list[Row]:
    from bench.common import loadavg, new_secret

    workdir.mkdir(parents=True)
    secret = new_secret()
    sink_port, port = free_port(), free_port()
    smtp = f"smtp://127.0.0.1:{sink_port}"
    env = base_env(workdir, INVOLVE_WEBHOOK_SECRET=secret, INVOLVE_SMTP_URL=smtp, INVOLVE_RUNNER="embedded",
                   **json.loads(os.environ.get("BENCH_E2E_ENV", "{}")))  # experiments: '{"INVOLVE_…": "…"}'
    run_json([PYTHON, "-m", "bench.e2e", "people"], env, workdir)
    arrivals_file = workdir / "arrivals.json"
    sink = popen([PYTHON, "-m", "bench.pipeline", "sink", str(sink_port), str(arrivals_file)], base_env(workdir),
                 workdir, workdir / "sink.log")
    serve = popen([INVOLVE, "serve", "--port", str(port)], env, workdir, workdir / "server.log")
    url = f"http://127.0.0.1:{port}"
    try:
        wait_http(url + "/health", 300, serve)
        db = Db(workdir / "involve.db")
        per_thread = warm // THREADS
        write_requests(workdir / "warm", secret, per_thread, "w")
        burst(db, workdir / "warm", url, per_thread * THREADS, 0, bound=300, deadline=300)
        before = db.claims()[0]
        last_warm = db.one("SELECT coalesce(max(id), 0) FROM outbox")[0]
        per_thread = claims // THREADS
        n = per_thread * THREADS
        write_requests(workdir / "req", secret, per_thread, "m")
        procs = processes(serve.pid, sink.pid)
        load_before = loadavg()
        spies = spy(procs, os.environ.get("BENCH_PYSPY"))
        snaps = [cpu(procs)]
        got = burst(db, workdir / "req", url, n, before, bound=max(60, n // 25), deadline=max(300, n // 10),
                    on_claims=lambda: snaps.append(cpu(procs)))
        snaps.append(cpu(procs))
        for p in spies:
            p.send_signal(signal.SIGINT)
            p.wait(60)
        load_after = loadavg()
        peak = tree_peak_mb(serve.pid)
        stored = db.one("SELECT count(*) FROM deliveries WHERE delivery_id LIKE 'msg_m_%'")[0]
        held = db.one("SELECT count(*) FROM claims WHERE hold_reason IS NOT NULL")[0]
        kinds = dict(db.c.execute("SELECT template, count(*) FROM outbox WHERE id > ? GROUP BY template",
                                  (last_warm,)).fetchall())
        approvals = {r[0] for r in db.c.execute("SELECT id FROM outbox WHERE id > ? AND template = 'claim_approval'",
                                                (last_warm,))}
        failed = db.one("SELECT count(*) FROM outbox WHERE failed_at IS NOT NULL")[0]
        db.c.close()
    finally:
        stop(serve)
        stop(sink)
    arrivals = [(t, i) for t, i in json.loads(arrivals_file.read_text()) if i is not None and i > last_warm]
    t0, t_claims = got["t0"], got["t_claims"]
    if not approvals or not {i for _, i in arrivals} >= approvals:
        raise RuntimeError(f"{len(approvals)} approval emails queued, {len({i for _, i in arrivals} & approvals)} "
                           "of them in the sink")
    t_mail = max(t for t, i in arrivals if i in approvals)
    by_then = [i for t, i in arrivals if t <= t_mail]
    raw = raw_yardstick(workdir, env, by_then)
    c_rate, m_rate = n / (t_claims - t0), len(by_then) / (t_mail - t0)
    w = got["wrk"]
    cpu_claims = {k: snaps[1][k] - snaps[0][k] for k in snaps[0]}
    cpu_rest = {k: snaps[2][k] - snaps[1][k] for k in snaps[0]}
    cpu_claims["wrk"] = w["cpu"]
    detail = {"claims": n, "t_answered": got["answered"] - t0, "t_claims": t_claims - t0, "t_mail": t_mail - t0,
              "t_first_mail": min(t for t, _ in arrivals) - t0, "emails_by_t_mail": len(by_then),
              "emails_all": len(arrivals), "outbox": kinds, "approvals": len(approvals), "wrk": w, "raw": raw,
              "cpu_claims": cpu_claims, "cpu_mail": cpu_rest, "launch_to_t0": t0 - got["launched"],
              "load": [load_before, load_after],
              # every second: (s after t0, claims stored, claims processed); then emails in the sink per second
              "timeline": [(round(t - t0, 1), k, k - left) for t, k, left in got["timeline"]],
              "emails_per_s": per_second([t - t0 for t, _ in arrivals])}
    claims_row = Row(
        name=f"end to end on `involve serve`: {n:,} signed claims, wrk {CONNECTIONS} conn, until none is submitted",
        project=f"{c_rate:,.0f} claims/s ({t_claims - t0:.2f} s; all answered after {got['answered'] - t0:.2f} s: "
                f"{n / (got['answered'] - t0):,.0f} req/s, p99 {w['p99_us'] / 1000:.0f} ms)",
        yardstick="–", ratio=None, goal="≥ 1,000 claims/s", met=c_rate >= 1000, peak_project_mb=peak,
        detail=detail)
    mail_row = Row(
        name="end to end on `involve serve`: emails until the last approval email is in the sink",
        project=f"{m_rate:,.0f} emails/s ({len(by_then):,} emails in {t_mail - t0:.2f} s; first after "
                f"{detail['t_first_mail']:.2f} s)",
        yardstick=f"{raw['rate']:,.0f} emails/s (raw aiosmtplib, the same {raw['sent']:,} messages pre-rendered, "
                  f"one connection, {raw['seconds']:.2f} s)",
        ratio=m_rate / raw["rate"], goal="≥ 0.50×", met=m_rate / raw["rate"] >= 0.5, peak_yardstick_mb=raw["peak_mb"])
    cpu_line = ", ".join(f"{k} {v:.1f}" for k, v in cpu_claims.items() if v is not None)
    rest_line = ", ".join(f"{k} {v:.1f}" for k, v in cpu_rest.items())
    claims_row.notes.append(f"CPU seconds from wrk's start to none submitted: {cpu_line}; then until no email was "
                            f"unsent: {rest_line}; load average {load_before} before, {load_after} after")
    during = [p for t, _, p in detail["timeline"] if t <= detail["t_answered"]]
    claims_row.notes.append(f"claims processed by the time the last was answered: {during[-1] if during else 0:,} of "
                            f"{n:,}")
    bad = {k: v for k, v in w["status"].items() if k != "202"}
    if bad or w["status"].get("202") != n or stored != n or w["claims_sent"] != n:
        claims_row.notes.append(f"answers {w['status']}, claims sent {w['claims_sent']} of {n}, stored {stored}")
        claims_row.met = False
    if held or failed:
        claims_row.notes.append(f"{held} claims set aside, {failed} emails failed")
        claims_row.met = mail_row.met = False
    return [claims_row, mail_row]


def raw_yardstick(workdir: Path, env: dict, ids: list[int]) -> dict:
    """Raw aiosmtplib (bench/pipeline.py) sending the messages `ids` of serve's outbox, to a fresh sink."""
    d = workdir / "raw"
    copy_db(workdir / "involve.db", d)
    with sqlite3.connect(d / "involve.db") as c:
        c.execute("UPDATE outbox SET sent_at = CURRENT_TIMESTAMP")
        c.executemany("UPDATE outbox SET sent_at = NULL WHERE id = ?", [(i,) for i in ids])
    port = free_port()
    record = d / "arrivals.json"
    sink = popen([PYTHON, "-m", "bench.pipeline", "sink", str(port), str(record)], base_env(d), d, d / "sink.log")
    try:
        time.sleep(1.5)
        raw_env = {**env, "INVOLVE_DATABASE_URL": f"sqlite:///{d}/involve.db", "INVOLVE_HOME": str(d)}
        raw = run_json([PYTHON, "-m", "bench.pipeline", "raw", f"smtp://127.0.0.1:{port}"], raw_env, d)
    finally:
        stop(sink)
    got = len(json.loads(record.read_text()))
    if got != raw["sent"] or raw["sent"] != len(ids):
        raise RuntimeError(f"raw yardstick: {raw['sent']} sent, {got} in the sink, {len(ids)} wanted")
    return {**raw, "rate": raw["sent"] / raw["seconds"]}


if __name__ == "__main__":
    if sys.argv[1:2] == ["people"]:
        print(json.dumps(side_people()))
        sys.exit(0)
    import tempfile

    from bench.common import table

    # python -m bench.e2e [CLAIMS]
    with tempfile.TemporaryDirectory(prefix="bench-e2e-") as d:
        rows = run(Path(d) / "e2e", claims=int(sys.argv[1]) if len(sys.argv) > 1 else 5_000)
        print(table(rows))
        for r in rows:
            print(r.name, json.dumps(r.detail, default=str), r.notes)
