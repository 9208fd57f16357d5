"""Benchmark the annual report on generated data (SQLite): wall time and peak RSS of
`involve report annual`, run as a process of its own.

    python -m bench.report --claims 100000 [--claims 1000000] [--db-dir var/bench] [--pdf]

The database for each size is generated once (`involve dev generate`) and kept in --db-dir, so a
second run measures only the report. The goal for 1,000,000 claims is 15 s and 512 MB.
"""

from __future__ import annotations

import argparse
import os
import resource
import subprocess
import sys
import time
from pathlib import Path

INVOLVE = str(Path(sys.executable).with_name("involve"))


def _run(args: list[str], env: dict) -> tuple[float, float, float]:
    """(wall seconds, CPU seconds, peak RSS MB) of one child process."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    subprocess.run(args, env=env, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, cpu, after.ru_maxrss / 1024  # ru_maxrss is the largest child so far (KB on Linux)


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--claims", type=int, action="append", required=True)
    p.add_argument("--db-dir", type=Path, default=Path("var/bench"))
    p.add_argument("--year", type=int, default=2025)
    p.add_argument("--pdf", action="store_true", help="Also write report.pdf (WeasyPrint).")
    a = p.parse_args(argv)
    a.db_dir.mkdir(parents=True, exist_ok=True)
    print("| claims | report | wall s | CPU s | peak RSS MB |\n|---:|---|---:|---:|---:|")
    for n in sorted(a.claims):  # smallest first: ru_maxrss of children only grows
        db = a.db_dir / f"claims-{n}.db"
        env = dict(os.environ, INVOLVE_DATABASE_URL=f"sqlite:///{db.resolve()}")
        if not db.exists():
            subprocess.run([INVOLVE, "db", "upgrade"], env=env, check=True, stdout=subprocess.DEVNULL)
            subprocess.run(
                [INVOLVE, "dev", "generate", "--claims", str(n)],
                env=env,
                check=True,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
        args = [INVOLVE, "report", "annual", "--year", str(a.year), "--out", str(a.db_dir / f"report-{n}")]
        wall, cpu, rss = _run(args + ([] if a.pdf else ["--no-pdf"]), env)
        print(f"| {n:,} | annual {a.year}{' + PDF' if a.pdf else ''} | {wall:.1f} | {cpu:.1f} | {rss:.0f} |")


if __name__ == "__main__":
    main()
