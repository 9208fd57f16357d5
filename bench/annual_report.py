"""Benchmark 4: `involve report annual` over generated data, against raw SQL.

Data: `involve dev generate --claims N` (people, claims over several financial years in every
status, payments, recruitments). The project side is the real command (`--no-pdf`), in its own
process; the yardstick is the same figures' raw aggregation in plain SQL through sqlite3 (the
claims cells joined to payments and the register, people involved, turnaround percentiles,
services, rejection reasons), written to a CSV. Wall time and the process's peak RSS each.

    python -m bench.annual_report 100000 1000000
"""
from __future__ import annotations

import csv
import os
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

from bench.common import INVOLVE, PYTHON, Row, base_env

YEAR = 2025

RAW_SQL = {
    "cells": """
        SELECT c.activity_kind, c.borough, strftime('%Y-%m', c.activity_date), c.status,
               CASE WHEN CAST(c.flags AS TEXT) LIKE '%"late"%' THEN 1 ELSE 0 END AS late, p.ethnic_group,
               count(*), coalesce(sum(CAST(round(pay.amount * 100) AS INTEGER)), 0),
               coalesce(sum(CAST(round(CASE WHEN pay.id IS NOT NULL THEN c.expenses_amount END * 100)
                                 AS INTEGER)), 0)
        FROM claims c LEFT JOIN payments pay ON pay.claim_id = c.id
             LEFT JOIN people p ON p.email = c.claimant_email
        WHERE c.activity_date BETWEEN :start AND :end
        GROUP BY 1, 2, 3, 4, 5, 6""",
    "people": """
        SELECT c.borough, count(DISTINCT c.claimant_email) FROM claims c
        WHERE c.activity_date BETWEEN :start AND :end AND c.status IN ('approved', 'paid') GROUP BY 1""",
    "people_total": """
        SELECT count(DISTINCT c.claimant_email) FROM claims c
        WHERE c.activity_date BETWEEN :start AND :end AND c.status IN ('approved', 'paid')""",
    "turnaround": """
        WITH r AS (SELECT CAST(round((julianday(paid_at) - julianday(submitted_at)) * 86400) AS INTEGER) AS s,
                          row_number() OVER (ORDER BY 1) AS rn, count(*) OVER () AS n
                   FROM claims WHERE activity_date BETWEEN :start AND :end AND status = 'paid'
                         AND paid_at IS NOT NULL)
        SELECT rn, n, s FROM r WHERE rn - 1 IN ((n - 1) / 2, (n - 1) / 2 + 1, (n - 1) * 9 / 10,
                                                 (n - 1) * 9 / 10 + 1)""",
    "services": """
        SELECT nullif(trim(service), ''), count(*),
               count(DISTINCT CASE WHEN status IN ('approved', 'paid') THEN claimant_email END)
        FROM claims WHERE activity_date BETWEEN :start AND :end GROUP BY 1 ORDER BY 2 DESC LIMIT 12""",
    "rejections": """
        SELECT trim(rejection_reason), count(*) FROM claims
        WHERE activity_date BETWEEN :start AND :end AND status = 'rejected'
        GROUP BY 1 HAVING count(*) >= 5 ORDER BY 2 DESC LIMIT 20""",
}


def raw_sql(db: str, year: int, out: str) -> None:
    """The yardstick, run as its own process: every query, every row written to one CSV."""
    conn = sqlite3.connect(db)
    params = {"start": f"{year}-04-01", "end": f"{year + 1}-03-31"}
    with open(out, "w", newline="") as fh:
        w = csv.writer(fh)
        for name, sql in RAW_SQL.items():
            for row in conn.execute(sql, params):
                w.writerow([name, *row])


def timed(args: list[str], env: dict, cwd: Path) -> tuple[float, float]:
    """(wall seconds, peak RSS in MB) of one child process."""
    t = time.perf_counter()
    proc = subprocess.Popen(args, env=env, cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - t
    if os.waitstatus_to_exitcode(status) != 0:
        raise RuntimeError(f"{' '.join(args[:4])} failed: {proc.stderr.read().decode()[-2000:]}")
    return wall, usage.ru_maxrss / 1024


def run(workdir: Path, sizes: tuple[int, ...] = (100_000, 1_000_000)) -> list[Row]:
    rows = []
    for n in sizes:
        d = workdir / f"report-{n}"
        d.mkdir(parents=True)
        env = base_env(d)
        gen_wall, _ = timed([INVOLVE, "dev", "generate", "--claims", str(n), "--json"], env, d)
        db = str(d / "involve.db")
        sql_wall, sql_peak = timed([PYTHON, "-m", "bench.annual_report", "raw", db, str(YEAR),
                                    str(d / "raw.csv")], env, d)
        rep_wall, rep_peak = timed([INVOLVE, "report", "annual", "--year", str(YEAR), "--out", str(d / "out"),
                                    "--no-pdf", "--json"], env, d)
        with sqlite3.connect(db) as c:
            in_year = c.execute("SELECT count(*) FROM claims WHERE activity_date BETWEEN ? AND ?",
                                (f"{YEAR}-04-01", f"{YEAR + 1}-03-31")).fetchone()[0]
        ratio = sql_wall / rep_wall
        big = n >= 1_000_000
        rows.append(Row(
            name=f"annual report {YEAR}/{str(YEAR + 1)[2:]}, {n:,} claims generated "
                 f"({in_year:,} in the year)",
            project=f"{rep_wall:.1f} s (`involve report annual --no-pdf`, whole command)",
            yardstick=f"{sql_wall:.1f} s (raw SQL aggregation, sqlite3)",
            ratio=ratio, goal="≤ 15 s, ≥ 1/3× raw SQL, ≤ 512 MB" if big else "(1M is the goal)",
            met=(rep_wall <= 15 and ratio >= 1 / 3 and rep_peak <= 512) if big else None,
            peak_project_mb=rep_peak, peak_yardstick_mb=sql_peak,
            detail={"generate_seconds": gen_wall, "claims_in_year": in_year}))
    return rows


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "raw":
        raw_sql(sys.argv[2], int(sys.argv[3]), sys.argv[4])
    else:
        import json
        import tempfile

        from bench.common import table

        sizes = tuple(int(a) for a in sys.argv[1:]) or (100_000, 1_000_000)
        with tempfile.TemporaryDirectory(prefix="bench-report-") as tmp:
            result = run(Path(tmp), sizes)
            print(table(result))
            for r in result:
                print(r.name, json.dumps(r.detail))
