"""How long the approvers' claims list takes (`GET /staff/claims`, rendered, signed in as a co-ordinator)
at N claims: first page, a deep page (keyset), a status filter, a name search and a reference search.

    .venv/bin/python -m bench.staff_claims_list --claims 10000 [--claims 100000] [--runs 40]

Uses a fresh SQLite database per size (INVOLVE_DATABASE_URL may point at PostgreSQL instead) filled by
`involve dev generate`; prints one Markdown row per query with p50 and p95 in milliseconds.
"""
from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import tempfile
import time
from pathlib import Path

from bench.common import INVOLVE


def measure(n: int, runs: int) -> list[tuple[str, float, float]]:
    work = Path(tempfile.mkdtemp(prefix=f"claims-list-{n}-"))
    env = dict(os.environ, INVOLVE_DATABASE_URL=os.environ.get("INVOLVE_DATABASE_URL",
                                                               f"sqlite:///{work}/involve.db"))
    os.environ.update(env)
    os.chdir(work)
    subprocess.run([INVOLVE, "db", "upgrade"], check=True, env=env, capture_output=True)
    subprocess.run([INVOLVE, "dev", "generate", "--claims", str(n)], check=True, env=env, capture_output=True)
    from fastapi.testclient import TestClient
    from sqlalchemy import func, select

    from involve.db import reader, unit_of_work
    from involve.services.people import add_staff
    from involve.web.app import create_app
    from models import Claim
    from tests.staff_sign_in import sign_in

    with unit_of_work() as s:
        add_staff(s, email="bench.coord@example.nhs.uk", name="Bench", roles=["coordinator"])
    with reader() as s:
        mid_id = s.execute(select(func.max(Claim.id))).scalar_one() // 2
        some = s.execute(select(Claim.reference, Claim.claimant_name).where(Claim.id == mid_id)).one()
    queries = {"first page": "/staff/claims", "deep page (keyset)": f"/staff/claims?before={mid_id}",
               "status filter": "/staff/claims?status=paid", "name search": f"/staff/claims?q={some[1].split()[0]}",
               "reference search": f"/staff/claims?q={some[0]}"}
    rows = []
    with TestClient(create_app()) as c:
        sign_in(c, "bench.coord@example.nhs.uk")
        for label, url in queries.items():
            c.get(url)  # warm
            times = []
            for _ in range(runs):
                t = time.perf_counter()
                r = c.get(url)
                times.append((time.perf_counter() - t) * 1000)
                assert r.status_code == 200, r.status_code
            times.sort()
            rows.append((label, statistics.median(times), times[int(0.95 * (len(times) - 1))]))
    return rows


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--claims", type=int, action="append", required=True)
    ap.add_argument("--runs", type=int, default=40)
    args = ap.parse_args()
    print("| claims | query | p50 ms | p95 ms |\n| ---: | --- | ---: | ---: |")
    for n in args.claims:
        pid = os.fork()
        if pid == 0:  # one process per size: its own settings and engine
            for label, p50, p95 in measure(n, args.runs):
                print(f"| {n:,} | {label} | {p50:.0f} | {p95:.0f} |", flush=True)
            os._exit(0)
        os.waitpid(pid, 0)


if __name__ == "__main__":
    main()
