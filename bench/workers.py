"""Workers that add speed: one Prefect worker against two, end to end, with and without an SMTP relay
delay, on PostgreSQL (issue 17, part 5).

Each run is a fresh cluster (tests/scaleout/cluster.py: `prefect server start`, a new database,
`make deploy`, N `make worker`, `INVOLVE_RUNNER=deployments involve serve`, an aiosmtpd sink). The
sink waits `--delay` seconds before answering each DATA, as a relay on another machine does (its
round trips and its own work); connections wait in parallel. `--claims` signed claims are POSTed by
`--senders` threads as fast as serve takes them; then we wait until every claim is
`awaiting_approval` and every queued email is in the sink.

Per run: claims processed per second (first POST → last `processed_at`), emails delivered per second
(first POST → the last queued email in the sink), duplicates (an email that arrived more than once,
by reference and kind, or by Message-ID), flow runs (how many, how many at once at most, and how
many each worker started) and the load average before and after. The ratio is two workers' rate ÷
one worker's, for the same delay, measured in the same invocation one after the other.

    INVOLVE_TEST_POSTGRES_URL=postgresql+psycopg://postgres@127.0.0.1:5432/postgres \\
        .venv/bin/python -m bench.workers --claims 400 --delay 0.05 0

`make bench BENCH_ARGS="--only workers"` runs the same (it needs INVOLVE_TEST_POSTGRES_URL).
Timings depend on the machine and its load (printed with each row); nothing here is asserted.
"""
from __future__ import annotations

import argparse
import re
import shutil
import signal
import sys
import tempfile
import time
from pathlib import Path

from bench.common import Row, add_cluster_arguments, cluster_pg, loadavg
from tests.scaleout.cluster import Cluster, MailLog, Sender

GOAL_DELAY = "≥ 1.5× one worker"
GOAL_NO_DELAY = "≥ 1.0× one worker"


def _outbox(cluster: Cluster) -> tuple[int, int]:
    """(emails queued, emails marked sent)."""
    from sqlalchemy import text

    from involve.db import get_engine

    with get_engine(cluster.database_url).connect() as c:
        return tuple(c.execute(text("SELECT count(*), count(sent_at) FROM outbox")).one())


def _runs_at_once(runs: list) -> int:
    """The most flow runs that were running at the same moment."""
    edges = []
    for _, r in runs:
        if r.start_time and r.end_time:
            edges += [(r.start_time.timestamp(), 1), (r.end_time.timestamp(), -1)]
    most = now = 0
    for _, d in sorted(edges):
        now += d
        most = max(most, now)
    return most


def run_once(pg: str, workers: int, claims: int, senders: int, delay: float, keep: bool,
             env: dict | None = None, backlog: bool = False) -> dict:
    workdir = Path(tempfile.mkdtemp(prefix=f"involve-workers-{workers}w-"))
    cluster = Cluster(workdir, pg, smtp_delay=delay, worker_extra_env=dict(env or {}))
    try:
        cluster.start(workers=workers)
        time.sleep(2)  # let the workers' first polls and the deployments' first sweeps settle
        load_before = loadavg()
        mail = MailLog(cluster.sink)
        if backlog:  # the workers' own rate: claims queued while they are stopped, then the clock starts
            for w in cluster.workers:
                w.signal_group(signal.SIGSTOP)
        sender = Sender(cluster.live, claims, threads=senders).start()
        try:
            sender.join(timeout=1800)
        finally:
            if backlog:
                time.sleep(2)  # the hand-off's runs for the last claims are made
                began = time.time()
                for w in cluster.workers:
                    w.signal_group(signal.SIGCONT)
        began = began if backlog else sender.started
        if sender.errors:
            raise RuntimeError(f"{len(sender.errors)} POSTs failed, e.g. {sender.errors[:3]}")
        end = time.monotonic() + 1800
        cluster.wait_processed(claims, end)
        processed = cluster.last_processed_at().timestamp()
        while True:
            queued, _ = _outbox(cluster)
            if len(mail.update().message_ids) >= queued:
                break
            if time.monotonic() > end:
                raise RuntimeError(f"not all delivered: {len(mail.message_ids)} of {queued}")
            time.sleep(0.1)
        delivered = time.time()
        time.sleep(2)  # a duplicate sent late would arrive now
        mail.update()
        runs = cluster.flow_runs()
        started = {w.name: len(re.findall(r"[Ss]ubmitting flow run", w.tail(100000))) for w in cluster.workers}
        return {"workers": workers, "delay": delay, "claims": claims, "emails": queued,
                "claims_per_s": claims / (processed - began),
                "emails_per_s": queued / (delivered - began),
                "seconds": delivered - began, "backlog": backlog,
                "accepted_per_s": claims / (sender.finished - sender.started),
                "duplicates": mail.duplicates + mail.same_message_id_twice, "received": mail.total,
                "flow_runs": sum(1 for _, r in runs if r.start_time), "at_once": _runs_at_once(runs),
                "per_worker": started, "load": f"{load_before} → {loadavg()}"}
    finally:
        cluster.stop()
        if not keep:
            shutil.rmtree(workdir, ignore_errors=True)


def describe(r: dict) -> str:
    return (f"{r['claims_per_s']:.1f} claims/s, {r['emails_per_s']:.1f} emails/s ({r['emails']} emails in "
            f"{r['seconds']:.1f} s; serve accepted {r['accepted_per_s']:.0f} claims/s), "
            f"{r['duplicates']} duplicates, {r['flow_runs']} flow runs "
            f"(≤ {r['at_once']} at once; per worker {'/'.join(str(v) for v in r['per_worker'].values())}), "
            f"load {r['load']}")


def rows(pg: str, *, claims: int, delays: list[float], senders: int = 4, keep: bool = False,
         env: dict | None = None, backlog: bool = True) -> list[Row]:
    """For each delay: one worker, then two; a Row each, the ratio on emails delivered per second."""
    out = []
    for delay in delays:
        one = run_once(pg, 1, claims, senders, delay, keep, env, backlog)
        print("[bench.workers] 1 worker, delay", delay, describe(one), file=sys.stderr, flush=True)
        two = run_once(pg, 2, claims, senders, delay, keep, env, backlog)
        print("[bench.workers] 2 workers, delay", delay, describe(two), file=sys.stderr, flush=True)
        ratio = two["emails_per_s"] / one["emails_per_s"]
        claims_ratio = two["claims_per_s"] / one["claims_per_s"]
        goal = GOAL_DELAY if delay else GOAL_NO_DELAY
        need = 1.5 if delay else 1.0
        out.append(Row(
            name=f"two workers against one, {claims} claims end to end, SMTP relay delay {delay * 1000:.0f} ms",
            project=f"2 workers: {describe(two)}", yardstick=f"1 worker: {describe(one)}", ratio=ratio,
            goal=f"{goal}, 0 duplicates", met=ratio >= need and one["duplicates"] == two["duplicates"] == 0,
            notes=[f"claims/s ratio {claims_ratio:.2f}×"], detail={"one": one, "two": two}))
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--claims", type=int, default=400)
    ap.add_argument("--delay", type=float, nargs="+", default=[0.05, 0.0],
                    help="seconds the sink waits before answering each DATA (one pair of runs per value)")
    ap.add_argument("--workers", type=int, nargs="+", default=None,
                    help="only these worker counts (no ratio), e.g. --workers 2")
    ap.add_argument("--backlog", action="store_true",
                    help="the workers' own rate: POST every claim while the workers are stopped (SIGSTOP), "
                         "then time from SIGCONT (end to end from the first POST is bounded by serve's intake)")
    ap.add_argument("--env", action="append", default=[], metavar="NAME=VALUE",
                    help="a setting for the workers (e.g. INVOLVE_SMTP_CONNECTIONS=1), repeatable")
    add_cluster_arguments(ap)
    args = ap.parse_args(argv)
    if not cluster_pg(args, "bench.workers"):
        return 2
    env = dict(e.split("=", 1) for e in args.env)
    if args.workers:
        for delay in args.delay:
            for n in args.workers:
                r = run_once(args.pg, n, args.claims, args.senders, delay, args.keep, env, args.backlog)
                print(f"| {n} | {delay * 1000:.0f} ms | {describe(r)} |", flush=True)
        return 0
    from bench.common import table

    got = rows(args.pg, claims=args.claims, delays=args.delay, senders=args.senders, keep=args.keep, env=env,
               backlog=args.backlog)
    print(table(got))
    for r in got:
        for n in r.notes:
            print(f"- {r.name}: {n}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
