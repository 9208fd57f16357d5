"""`make bench`: every benchmark, each against its yardstick in the same run, as one table.

    .venv/bin/python -m bench.run [--only intake,processing,e2e,report,serving,staff,workers] [--quick]

Prints the table (ratios: the project's speed ÷ the yardstick's, so higher is better) with peak
RSS, and writes it to bench/results/latest.md (gitignored) with the machine's load before and
after each benchmark: the machine may be shared, so read ratios, not absolute numbers.
`--quick` runs small sizes (2,000 claims, 1,000 end to end, 100,000-claim report and staff pages, 5 s
wrk) to check the harness. BENCH_STAFF_DB=generated.db lets the staff pages copy a database generated before.
"""
from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

from bench.common import ROOT, PrefectServer, Row, loadavg, table

RESULTS = ROOT / "bench" / "results"
ALL = ("intake", "processing", "e2e", "serving", "report", "staff")
ON_REQUEST = ("workers",)  # needs PostgreSQL (INVOLVE_TEST_POSTGRES_URL) and a cluster per run: --only workers


def _need(tool: str, hint: str) -> None:
    if shutil.which(tool) is None:
        sys.exit(f"bench: `{tool}` is not installed ({hint})")


def main() -> None:
    ap = argparse.ArgumentParser(description="involve benchmarks, side by side with their yardsticks")
    ap.add_argument("--only", default=",".join(ALL),
                    help=f"comma-separated subset of {', '.join(ALL + ON_REQUEST)} (default: all but "
                         f"{', '.join(ON_REQUEST)})")
    ap.add_argument("--quick", action="store_true", help="small sizes, to check the harness")
    ap.add_argument("--claims", type=int, default=None, help="claims for processing/email (default 10,000)")
    args = ap.parse_args()
    only = [x.strip() for x in args.only.split(",") if x.strip()]
    claims = args.claims or (2_000 if args.quick else 10_000)
    if "intake" in only or "e2e" in only:
        _need("wrk", "apt-get install wrk")

    rows: list[Row] = []
    loads: list[str] = []
    started = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="involve-bench-") as tmp:
        work = Path(tmp)

        def step(name: str, fn) -> None:
            before = loadavg()
            print(f"[bench] {name} … (load average {before})", file=sys.stderr, flush=True)
            t = time.perf_counter()
            try:
                got = fn()
            except Exception as exc:  # noqa: BLE001 - one broken benchmark must not hide the others
                why = " ".join(str(exc).split())[-300:]
                got = [Row(name=name, project=f"failed: {type(exc).__name__}: …{why}", yardstick="–",
                           ratio=None, goal="–", met=False)]
            rows.extend(got if isinstance(got, list) else [got])
            loads.append(f"{name}: load average {before} before, {loadavg()} after, "
                         f"{time.perf_counter() - t:.0f} s")

        if "intake" in only:
            from bench import intake

            step("intake", lambda: intake.run(work / "intake", seconds=5 if args.quick else 10,
                                              rounds=1 if args.quick else 2))
            if rows and "yardstick_median" in rows[-1].detail:
                base = rows[-1]
                step("intake, runner on", lambda: intake.run_with_runner(work / "intake-serve", base,
                                                                         seconds=5 if args.quick else 10))
            step("intake, synchronous FULL vs NORMAL",
                 lambda: intake.run_synchronous(work / "intake-sync", seconds=5 if args.quick else 10,
                                                rounds=2))
        if "processing" in only:
            from bench import pipeline

            prefect = PrefectServer(work / "prefect-api")
            (work / "prefect-api").mkdir()
            prefect.start()
            try:
                step("processing + email", lambda: pipeline.run(work / "pipeline", prefect, claims=claims,
                                                                sample=20 if args.quick else 100))
            finally:
                prefect.stop()
        if "e2e" in only:
            from bench import e2e

            step("end to end on serve", lambda: e2e.run(work / "e2e", claims=1_000 if args.quick else 5_000))
        if "serving" in only:
            from bench import serving

            step("cold start", lambda: serving.cold_start(work / "serving", rounds=1 if args.quick else 3))
            step("approver email latency", lambda: serving.approver_latency(work / "serving",
                                                                            samples=3 if args.quick else 10))
            step("first claim after a start", lambda: serving.first_claim(work / "serving",
                                                                          starts=1 if args.quick else 3))
        if "report" in only:
            from bench import annual_report

            sizes = (100_000,) if args.quick else (100_000, 1_000_000)
            step("annual report", lambda: annual_report.run(work / "report", sizes))
        if "staff" in only:
            from bench import staff_pages

            size = 100_000 if args.quick else 1_000_000
            step("staff pages", lambda: staff_pages.run(work / "staff", size, requests=15 if args.quick else 40,
                                                        source=os.environ.get("BENCH_STAFF_DB")))

        if "workers" in only:
            from bench import workers

            pg = os.environ.get("INVOLVE_TEST_POSTGRES_URL")
            if not pg:
                sys.exit("bench: --only workers needs PostgreSQL: set INVOLVE_TEST_POSTGRES_URL")
            for delay in (0.05, 0.0):
                step(f"workers, relay delay {delay * 1000:.0f} ms",
                     lambda delay=delay: workers.rows(pg, claims=800 if args.quick else 2500, delays=[delay]))

    text = table(rows)
    notes = [f"- {r.name}: {n}" for r in rows for n in r.notes]
    header = (f"# involve benchmarks, {datetime.now(UTC):%Y-%m-%d %H:%M} UTC\n\n"
              f"{platform.node()}: {os.cpu_count()} cores, Python {platform.python_version()}, "
              f"total {time.perf_counter() - started:.0f} s. Ratio = the project's speed ÷ its yardstick's "
              f"(higher is better); peak RSS of each side's own process (a server's with its children).\n")
    body = "\n".join([header, text, "", "Machine load (2 cores; others may share them):", "",
                      *[f"- {x}" for x in loads], *(["", "Notes:", "", *notes] if notes else [])])
    print(body)
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "latest.md").write_text(body + "\n")
    (RESULTS / "latest.json").write_text(json.dumps([r.__dict__ for r in rows], indent=1, default=str))
    print(f"\nwritten to {RESULTS / 'latest.md'}", file=sys.stderr)


if __name__ == "__main__":
    main()
