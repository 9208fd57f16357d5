"""Benchmark 5 and the idle latency check, both on the real `involve serve`.

- cold start: a fresh folder (empty database, embedded mail sink, generated secrets), from
  `involve serve` to the first 200 from /health; against the yardstick app served by uvicorn
  the same way. Median of a few starts each, alternating.
- the first claim after a start: `involve serve` started three times on one folder (the first time
  empty); the time to /health 200, then from the first claim's 202 to its approval email.
- approver email latency at idle: `LiveServer` + `SmtpSink` from the e2e harness; a claim is
  posted when the server has been idle for a while, and the time from its 202 to the approval
  email reaching the sink is measured (polled every 5 ms).
"""
from __future__ import annotations

import json
import statistics
import sys
import time
from pathlib import Path

from bench.common import INVOLVE, PYTHON, Row, base_env, free_port, popen, stop, tree_peak_mb, wait_http


def cold_start(workdir: Path, rounds: int = 3) -> Row:
    times: dict[str, list[float]] = {"involve": [], "yardstick": []}
    peaks: dict[str, list[float]] = {"involve": [], "yardstick": []}
    for rnd in range(rounds):
        for which in ("involve", "yardstick") if rnd % 2 == 0 else ("yardstick", "involve"):
            d = workdir / f"cold-{which}-{rnd}"
            d.mkdir(parents=True)
            env = base_env(d, BENCH_YARDSTICK_DB=str(d / "yard.db"))
            for k in ("INVOLVE_DATABASE_URL", "INVOLVE_WEBHOOK_SECRET", "INVOLVE_DATA_KEY"):
                env.pop(k)  # the embedded defaults: ./var/involve.db, generated secrets
            port = free_port()
            args = ([INVOLVE, "serve", "--port", str(port)] if which == "involve"
                    else [PYTHON, "-m", "bench.serve_app", "yardstick", str(port)])
            t = time.perf_counter()
            proc = popen(args, env, d, d / "server.log")
            try:
                wait_http(f"http://127.0.0.1:{port}/health", 120, proc)
                times[which].append(time.perf_counter() - t)
                peaks[which].append(tree_peak_mb(proc.pid) or 0)
            finally:
                stop(proc)
    p, y = statistics.median(times["involve"]), statistics.median(times["yardstick"])
    return Row(name=f"`involve serve` cold start to /health (median of {rounds})",
               project=f"{p:.2f} s (min {min(times['involve']):.2f}, max {max(times['involve']):.2f})",
               yardstick=f"{y:.2f} s (bare app on uvicorn)", ratio=y / p, goal="≤ 10 s", met=p <= 10,
               peak_project_mb=max(peaks["involve"]), peak_yardstick_mb=max(peaks["yardstick"]),
               detail={"times": times})


def _claim_to_email(live, sink, example: dict, lead: str, n: int, timeout: float = 120) -> float:
    """Post one claim; seconds from its 202 to its approval email in the sink (polled every 5 ms)."""
    from datetime import date, timedelta

    claim = json.loads(json.dumps(example))
    claim["submission_id"] = f"latency-{n}"
    claim["activity"]["date"] = (date.today() - timedelta(days=1 + n % 30)).isoformat()
    r = live.post_claim(claim, msg_id=f"latency-{n}")
    t = time.perf_counter()
    if r.status_code != 202:
        raise RuntimeError(f"{r.status_code} {r.text}")
    ref = r.json()["reference"]
    end = t + timeout
    while time.perf_counter() < end:
        with sink.lock:
            got = any(ref.encode() in raw and lead in rcpts and b"approval" in raw for rcpts, raw in sink.raw)
        if got:
            return time.perf_counter() - t
        time.sleep(0.005)
    raise RuntimeError(f"no approval email for {ref} within {timeout} s")


def _live(workdir: Path, name: str):
    from tests.e2e.harness import LiveServer, SmtpSink

    root = Path(__file__).resolve().parents[1]
    example = json.loads((root / "involve" / "examples" / "claim.json").read_text())
    sink = SmtpSink().start()
    d = workdir / name
    d.mkdir(parents=True)
    live = LiveServer(d, sink.port)
    live.env["PYTHONPATH"] = str(root)
    return live, sink, example, example["activity"]["lead_email"]


def _add_staff(live, lead: str) -> None:
    for args in (("staff", "add", "--email", lead, "--name", "Lead", "--role", "lead", "--by", live.admin),
                 ("staff", "add", "--email", "coord@example.nhs.uk", "--name", "Co", "--role", "coordinator",
                  "--by", live.admin)):
        r = live.cli(*args)
        if r.returncode:
            raise RuntimeError(r.stderr)


def first_claim(workdir: Path, starts: int = 3) -> Row:
    """`involve serve` started `starts` times on one folder (the first on an empty one): the time to the
    first 200 on /health, then the first claim's 202 → approval email."""
    live, sink, example, lead = _live(workdir, "first-claim")
    health, first = [], []
    try:
        for n in range(starts):
            t = time.perf_counter()
            live.start(timeout=300)
            health.append(time.perf_counter() - t)
            if n == 0:
                _add_staff(live, lead)
            first.append(_claim_to_email(live, sink, example, lead, 100 + n, timeout=300))
            live.stop()
    finally:
        live.stop()
        sink.stop()
    med = statistics.median(first)
    return Row(name=f"first claim after a start: 202 → approver email (median of {starts} starts)",
               project=f"{med:.2f} s (each: {', '.join(f'{x:.1f}' for x in first)} s; /health 200 after "
                       f"{', '.join(f'{x:.1f}' for x in health)} s)",
               yardstick="–", ratio=None, goal="≤ 3 s", met=med <= 3.0, detail={"first": first, "health": health})


def approver_latency(workdir: Path, samples: int = 10, idle: float = 2.0) -> Row:
    live, sink, example, lead = _live(workdir, "latency")
    try:
        live.start()
        _add_staff(live, lead)
        warm = _claim_to_email(live, sink, example, lead, 0, timeout=180)  # the first cycle starts the API
        lat = []
        for n in range(1, samples + 1):
            time.sleep(idle)
            lat.append(_claim_to_email(live, sink, example, lead, n))
        peak = tree_peak_mb(live.proc.pid)
    finally:
        live.stop()
        sink.stop()
    med, worst = statistics.median(lat), max(lat)
    return Row(name=f"approver email after the 202, at idle (median of {samples})",
               project=f"{med:.2f} s (min {min(lat):.2f}, max {worst:.2f}; "
                       f"first claim after start {warm:.1f} s)",
               yardstick="–", ratio=None, goal="≤ 1 s", met=med <= 1.0, peak_project_mb=peak,
               detail={"latencies": lat, "first": warm})


if __name__ == "__main__":
    import tempfile

    from bench.common import table

    with tempfile.TemporaryDirectory(prefix="bench-serving-") as tmp:
        rows = []
        if "cold" in sys.argv[1:] or len(sys.argv) == 1:
            rows.append(cold_start(Path(tmp)))
        if "latency" in sys.argv[1:] or len(sys.argv) == 1:
            rows.append(approver_latency(Path(tmp)))
        if "first" in sys.argv[1:] or len(sys.argv) == 1:
            rows.append(first_claim(Path(tmp)))
        print(table(rows))
        for r in rows:
            print(r.name, json.dumps(r.detail))
