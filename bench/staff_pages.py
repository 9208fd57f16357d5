"""Benchmark 6: staff pages at scale, with and without the search's trigram index (or 0010's indexes), in one run.

    .venv/bin/python -m bench.staff_pages [--claims 1000000] [--requests 40] [--db generated.db] [--without 0010]

Data: `involve dev generate --claims N` (its time is reported), or a copy of `--db` (a database
generated before, migrated here). Each page is timed through the real ASGI app (Starlette's test
client, signed in as a co-ordinator the way a person signs in, or as finance for the finance page),
`--requests` times after two warm-up requests, in a process of its own: first the yardstick, then the
project. The yardstick (`--without`) is the same pages on the same data with the search not using
migration 0013's trigram index (`0013`, the default: `_search` as before it, LIKE / ILIKE through the
newest window and ix_claims_name_email), or with migration 0010's indexes dropped (`0010`). Reported:
p50 and p95 of the wall time and of the process's CPU time per request (on a shared machine the wall
time is mostly waiting for a core; the CPU time is what an idle machine would take); the goals are
wall p95 ≤ 150 ms for the claims list, search, claim page and register list, ≤ 300 ms for the finance page.
"""
from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

from bench.common import FINANCE, INVOLVE, PYTHON, ROOT, Row, base_env, loadavg, run_json, table

INDEXES = ("ix_claims_name_email", "ix_claims_lead_id", "ix_claims_approver_id", "ix_people_name_id")
COORD = "coordinator@example.nhs.uk"
GOALS = {"finance page": 300.0}
DEFAULT_GOAL = 150.0


def pages(db: str, rng: random.Random) -> list[tuple[str, str, list[str]]]:
    """(name, who, URLs to cycle through) for each page timed, from the data itself."""
    con = sqlite3.connect(db)
    top = con.execute("SELECT max(id) FROM claims").fetchone()[0]
    ids = ",".join(str(rng.randrange(1, top)) for _ in range(60))
    sample = con.execute(f"SELECT reference, claimant_name, claimant_email FROM claims WHERE id IN ({ids})").fetchall()
    people = con.execute("SELECT max(id) FROM people").fetchone()[0] or 1
    con.close()
    refs = [r[0] for r in sample]
    return [
        ("claims list, newest first", COORD, ["/staff/claims"]),
        ("claims list, a status", COORD, ["/staff/claims?status=awaiting_approval"]),
        ("claims list, an older page", COORD, [f"/staff/claims?before={rng.randrange(top // 10, top)}"
                                               for _ in range(20)]),
        ("search: a surname", COORD, [f"/staff/claims?q={r[1].split()[-1]}" for r in sample[:20]]),
        ("search: a person's full name", COORD, [f"/staff/claims?q={r[1].replace(' ', '+')}" for r in sample[:20]]),
        ("search: part of an email", COORD, [f"/staff/claims?q={r[2].split('@')[0]}" for r in sample[:20]]),
        ("search: a whole email", COORD, [f"/staff/claims?q={r[2]}" for r in sample[:20]]),
        ("search: a reference", COORD, [f"/staff/claims?q={ref}" for ref in refs[:20]]),
        ("search: no match", COORD, ["/staff/claims?q=zqxv"]),
        ("claim page", COORD, [f"/staff/claims/{ref}" for ref in refs]),
        ("finance page", FINANCE, ["/staff/finance"]),
        ("register list", COORD, ["/staff/register"]),
        ("register list, a later page", COORD, [f"/staff/register?after={rng.randrange(1, people + 1)}"
                                                for _ in range(20)]),
    ]


def measure(db: str, requests: int, seed: int, trigrams: bool = True) -> dict:
    """One side (runs in its own process: `python -m bench.staff_pages --measure DB [--no-trigrams]`)."""
    from fastapi.testclient import TestClient

    from involve.views import claims as claim_views

    if not trigrams:  # every search takes the path it took before migration 0013
        claim_views.TRIGRAM_MIN = 10 ** 9

    from involve.db import unit_of_work
    from involve.services.people import add_staff
    from involve.web.app import create_app
    from tests.staff_sign_in import sign_in

    with unit_of_work() as s:
        add_staff(s, email=COORD, name="Co-ordinator", roles=["coordinator"])
        add_staff(s, email=FINANCE, name="Finance", roles=["finance"])
    out = {}
    clients = {}
    with TestClient(create_app()) as coord, TestClient(create_app()) as finance:
        sign_in(coord, COORD)
        sign_in(finance, FINANCE)
        clients = {COORD: coord, FINANCE: finance}
        for name, who, urls in pages(db, random.Random(seed)):
            client = clients[who]
            if client.get(urls[0]).status_code == 404 and name.startswith("register list"):
                continue  # no register page in this build
            for url in urls[:2]:
                r = client.get(url)
                assert r.status_code == 200, (url, r.status_code, r.text[-300:])
            walls, cpus = [], []
            for i in range(requests):
                t, c = time.perf_counter(), time.process_time()
                r = client.get(urls[i % len(urls)])
                walls.append((time.perf_counter() - t) * 1000)
                cpus.append((time.process_time() - c) * 1000)
                assert r.status_code == 200, (urls[i % len(urls)], r.status_code)
            out[name] = {"p50": _pct(walls, 50), "p95": _pct(walls, 95), "cpu_p50": _pct(cpus, 50),
                         "cpu_p95": _pct(cpus, 95)}
    return out


def _pct(values: list[float], pct: int) -> float:
    values = sorted(values)
    return values[min(len(values) - 1, max(0, round(len(values) * pct / 100) - 1))]


UPGRADE_SECONDS: list[float] = []  # `involve db upgrade` of a copied database (0013's backfill, when it is new)


def _generate(workdir: Path, claims: int, source: str | None) -> tuple[Path, float | None]:
    db = workdir / "involve.db"
    env = base_env(workdir)
    if source:
        shutil.copy(source, db)
        t = time.perf_counter()
        subprocess.run([INVOLVE, "db", "upgrade"], env=env, cwd=workdir, check=True, capture_output=True)
        UPGRADE_SECONDS.append(time.perf_counter() - t)
        return db, None
    subprocess.run([INVOLVE, "db", "upgrade"], env=env, cwd=workdir, check=True, capture_output=True)
    t = time.perf_counter()
    subprocess.run([INVOLVE, "dev", "generate", "--claims", str(claims), "--json"], env=env, cwd=workdir,
                   check=True, capture_output=True)
    return db, time.perf_counter() - t


def run(workdir: Path, claims: int = 1_000_000, requests: int = 40, source: str | None = None,
        without: str = "0013") -> list[Row]:
    workdir.mkdir(parents=True, exist_ok=True)
    db, gen_seconds = _generate(workdir, claims, source)
    con = sqlite3.connect(db)
    claims = con.execute("SELECT count(*) FROM claims").fetchone()[0]
    people = con.execute("SELECT count(*) FROM people").fetchone()[0]
    saved = []
    if without == "0010":
        marks = ",".join("?" * len(INDEXES))
        saved = con.execute(f"SELECT name, sql FROM sqlite_master WHERE type = 'index' AND name IN ({marks})",
                            INDEXES).fetchall()
        for name, _ in saved:
            con.execute(f"DROP INDEX {name}")
        con.commit()
    env = {**base_env(workdir), "INVOLVE_DATABASE_URL": f"sqlite:///{db}"}
    args = [PYTHON, "-m", "bench.staff_pages", "--measure", str(db), "--requests", str(requests)]
    loads = [loadavg()]
    before = run_json(args + (["--no-trigrams"] if without == "0013" else []), env, workdir)
    loads.append(loadavg())
    t = time.perf_counter()
    for _, sql in saved:
        con.execute(sql)
    con.commit()
    index_seconds = time.perf_counter() - t
    con.close()
    after = run_json(args, env, workdir)
    loads.append(loadavg())
    yardstick = "without 0013's trigram index" if without == "0013" else "without 0010's indexes"
    rows = []
    for name, got in after.items():
        was = before.get(name)
        goal = GOALS.get(name, DEFAULT_GOAL)
        rows.append(Row(
            name=f"{name}, {people:,} people" if name.startswith("register") else f"{name}, {claims:,} claims",
            project=_fmt(got),
            yardstick=_fmt(was) + f" ({yardstick})" if was else "–",
            ratio=(was["p95"] / got["p95"]) if was and got["p95"] else None,
            goal=f"p95 ≤ {goal:.0f} ms" if goal else "(context)",
            met=(got["p95"] <= goal) if goal else None,
            detail={"after": got, "before": was}))
    note = (f"{claims:,} claims, {people:,} people; load average {loads[0]} → {loads[1]} ({yardstick}) → "
            f"{loads[2]} (with)" + (f"; indexes built in {index_seconds:.1f} s" if saved else "")
            + (f"; `involve dev generate` took {gen_seconds:.0f} s" if gen_seconds else "")
            + (f"; `involve db upgrade` of the copy took {UPGRADE_SECONDS[-1]:.0f} s" if source else ""))
    rows[0].notes.append(note)
    return rows


def _fmt(got: dict) -> str:
    return (f"p50 {got['p50']:.0f} ms, p95 {got['p95']:.0f} ms (CPU p50 {got['cpu_p50']:.0f}, "
            f"p95 {got['cpu_p95']:.0f} ms)")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--claims", type=int, default=1_000_000)
    ap.add_argument("--requests", type=int, default=40)
    ap.add_argument("--db", help="a generated SQLite database to copy instead of generating")
    ap.add_argument("--seed", type=int, default=11)
    ap.add_argument("--without", choices=("0013", "0010"), default="0013",
                    help="the yardstick: the search without 0013's trigram index (default), or 0010's indexes dropped")
    ap.add_argument("--measure", help=argparse.SUPPRESS)
    ap.add_argument("--no-trigrams", action="store_true", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.measure:
        print(json.dumps(measure(args.measure, args.requests, args.seed, trigrams=not args.no_trigrams)))
        return
    import tempfile

    with tempfile.TemporaryDirectory(prefix="bench-staff-", dir=os.environ.get("BENCH_TMP")) as tmp:
        rows = run(Path(tmp), args.claims, args.requests, args.db, args.without)
    print(table(rows))
    for r in rows:
        for n in r.notes:
            print(n)


if __name__ == "__main__":
    sys.path.insert(0, str(ROOT))
    main()
