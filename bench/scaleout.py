"""Scale-out throughput: claims per second from the first POST to the last claim in
awaiting_approval, with 1 and with 2 Prefect workers, on PostgreSQL.

Each run is a fresh cluster (tests/scaleout/cluster.py): `prefect server start`, a new database,
`make deploy`, N `make worker`, `INVOLVE_RUNNER=deployments involve serve`, a real SMTP sink. The
claims are POSTed by `--senders` threads as fast as serve takes them; serve hands off, the workers
process. Also reported: how fast serve accepted them, when the last email arrived, and (the
workers' own rate, whatever serve's intake rate) how fast the workers drain the same number of
claims queued while they were stopped (SIGSTOP while posting, SIGCONT, until the last is processed).

    INVOLVE_TEST_POSTGRES_URL=postgresql+psycopg://postgres@127.0.0.1:5432/postgres \\
        .venv/bin/python -m bench.scaleout --claims 1000 --workers 1 2

Timings depend on the machine and its load (printed with the results); nothing here is asserted.
"""
from __future__ import annotations

import argparse
import shutil
import signal
import tempfile
import time
from pathlib import Path

from bench.common import add_cluster_arguments, cluster_pg, loadavg
from tests.scaleout.cluster import Cluster, Sender


def run_once(pg: str, workers: int, claims: int, senders: int, keep: bool) -> dict:
    workdir = Path(tempfile.mkdtemp(prefix=f"involve-scaleout-{workers}w-"))
    cluster = Cluster(workdir, pg)
    try:
        cluster.start(workers=workers)
        load_before = loadavg()
        sender = Sender(cluster.live, claims, threads=senders).start()
        sender.join(timeout=1800)
        if sender.errors:
            raise RuntimeError(f"{len(sender.errors)} POSTs failed, e.g. {sender.errors[:3]}")
        end = time.monotonic() + 1800
        cluster.wait_processed(claims, end)
        last = cluster.last_processed_at().timestamp()
        while len(cluster.sink.raw) < 2 * claims and time.monotonic() < end:
            time.sleep(0.2)
        last_mail = time.time()
        runs = cluster.flow_runs()
        result = {"workers": workers, "claims": claims, "seconds": last - sender.started,
                  "claims_per_s": claims / (last - sender.started),
                  "accepted_per_s": claims / (sender.finished - sender.started),
                  "mail_seconds": last_mail - sender.started,
                  "flow_runs": sum(1 for _, r in runs if r.state and r.state.type.value != "SCHEDULED"),
                  "startup_s": cluster.startup_seconds}
        # backlog: the same number of claims queued while the workers are stopped, then drained
        for w in cluster.workers:
            w.signal_group(signal.SIGSTOP)
        try:
            backlog = Sender(cluster.live, claims, threads=senders).start()
            backlog.join(timeout=1800)
        finally:
            resumed = time.time()
            for w in cluster.workers:
                w.signal_group(signal.SIGCONT)
        end = time.monotonic() + 1800
        while cluster.claim_statuses().get("awaiting_approval", 0) < 2 * claims:
            if time.monotonic() > end:
                raise RuntimeError(f"backlog not drained: {cluster.claim_statuses()}")
            time.sleep(0.2)
        drained = cluster.last_processed_at().timestamp() - resumed
        result.update(drain_seconds=drained, drain_per_s=claims / drained,
                      load=f"{load_before} -> {loadavg()}")
        return result
    finally:
        cluster.stop()
        if not keep:
            shutil.rmtree(workdir, ignore_errors=True)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--claims", type=int, default=1000)
    ap.add_argument("--workers", type=int, nargs="+", default=[1, 2])
    add_cluster_arguments(ap)
    args = ap.parse_args(argv)
    if not cluster_pg(args, "bench.scaleout"):
        return 2
    print("| workers | claims | first POST -> last awaiting_approval | claims/s | serve accepted/s "
          "| last email | flow runs | backlog drained in | backlog claims/s | load (1/5/15 min) |")
    print("| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |")
    for n in args.workers:
        r = run_once(args.pg, n, args.claims, args.senders, args.keep)
        print(f"| {r['workers']} | {r['claims']} | {r['seconds']:.1f} s | {r['claims_per_s']:.1f} "
              f"| {r['accepted_per_s']:.1f} | {r['mail_seconds']:.1f} s | {r['flow_runs']} "
              f"| {r['drain_seconds']:.1f} s | {r['drain_per_s']:.1f} | {r['load']} |", flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
