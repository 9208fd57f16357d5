"""Claim processing, chunk by chunk: CPU per claim and how long each chunk holds SQLite's write lock.

    python bench/proc_chunks.py seed DIR [CLAIMS]     # a template database of CLAIMS submitted claims
    python bench/proc_chunks.py run DIR [--profile OUT] [--batches N]

`run` copies the template and calls `processing.process_batch(limit=500)` until nothing is left (or N
batches), timing each write transaction from the moment `BEGIN IMMEDIATE` succeeds until the unit of work
has committed (the lock held), and the process's CPU per batch. The tree measured is the one on
PYTHONPATH (run it against a worktree of main for "before"). Not part of `make bench`: a tool for
issue 17's processing work (docs/performance.md, section 3).
"""
from __future__ import annotations

import json
import os
import shutil
import statistics
import sys
import time
from contextlib import contextmanager
from pathlib import Path


def _env(d: Path) -> None:
    saved = json.loads((d / "env.json").read_text())
    db = d / "run" / "involve.db"
    os.environ.update(saved, INVOLVE_HOME=str(d / "run"), INVOLVE_DATABASE_URL=f"sqlite:///{db}")


def seed(d: Path, claims: int) -> None:
    from bench.common import FINANCE, new_data_key, new_secret

    d.mkdir(parents=True, exist_ok=True)
    (d / "env.json").write_text(json.dumps({"INVOLVE_DATA_KEY": new_data_key(), "INVOLVE_WEBHOOK_SECRET": new_secret(),
                                            "INVOLVE_FINANCE_EMAIL": FINANCE}))
    _env(d)
    from bench.common import seed_people, seed_submitted
    from involve.migrate import upgrade

    upgrade()
    seed_people()
    seed_submitted(claims)
    shutil.copy(d / "run" / "involve.db", d / "template.db")


def run(d: Path, profile: str | None, batches: int) -> dict:
    run_dir = d / "run"
    shutil.rmtree(run_dir, ignore_errors=True)
    run_dir.mkdir()
    shutil.copy(d / "template.db", run_dir / "involve.db")
    _env(d)
    from involve import db
    from involve.services import processing

    held: list[float] = []
    began = [0.0]
    original_begin = db.begin_immediate

    def begin(raw, timeout):
        original_begin(raw, timeout)
        began[0] = time.perf_counter()

    db.begin_immediate = begin
    original_uow = processing.unit_of_work

    @contextmanager
    def timed_uow(*a, **k):
        began[0] = 0.0
        with original_uow(*a, **k) as s:
            yield s
        if began[0]:
            held.append(time.perf_counter() - began[0])

    processing.unit_of_work = timed_uow
    prof = None
    if profile:
        import cProfile
        prof = cProfile.Profile()
    cpu, walls, done = [], [], 0
    for _ in range(batches):
        c0, w0 = time.process_time(), time.perf_counter()
        if prof:
            prof.enable()
        refs = processing.process_batch(limit=500)
        if prof:
            prof.disable()
        if not refs:
            break
        cpu.append(time.process_time() - c0)
        walls.append(time.perf_counter() - w0)
        done += len(refs)
    if prof:
        prof.dump_stats(profile)
    ms = sorted(x * 1000 for x in held)
    return {"claims": done, "batches": len(cpu), "chunks": len(held),
            "cpu_ms_per_claim": round(1000 * sum(cpu) / max(done, 1), 3),
            "cpu_ms_per_batch_median": round(1000 * statistics.median(cpu), 1),
            "wall_ms_per_batch_median": round(1000 * statistics.median(walls), 1),
            "held_ms_median": round(statistics.median(ms), 2), "held_ms_p90": round(ms[int(len(ms) * 0.9)], 2),
            "held_ms_max": round(ms[-1], 2), "held_s_total": round(sum(ms) / 1000, 3)}


def main() -> None:
    cmd, d = sys.argv[1], Path(sys.argv[2]).resolve()
    if cmd == "seed":
        seed(d, int(sys.argv[3]) if len(sys.argv) > 3 else 3000)
        return
    args = sys.argv[3:]
    profile = args[args.index("--profile") + 1] if "--profile" in args else None
    batches = int(args[args.index("--batches") + 1]) if "--batches" in args else 10_000
    load = Path("/proc/loadavg").read_text().split()[:3]
    out = run(d, profile, batches)
    print(json.dumps({"load_before": " ".join(load), **out,
                      "load_after": " ".join(Path("/proc/loadavg").read_text().split()[:3])}))


if __name__ == "__main__":
    main()
