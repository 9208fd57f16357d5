"""`make soak`: the long versions of the reliability scenarios against a real `involve serve`,
real SQLite / PostgreSQL and real SMTP; prints a table (scenario, requests, lost, duplicated,
leaked) and exits 1 if any scenario failed.

    python -m tests.reliability.soak [--quick] [--only NAME ...]

Sizes come from the environment: SOAK_SAME_MINUTES (10; the same delivery 50 times over this many
minutes), SOAK_DISTINCT (1000), SOAK_DUPLICATES (200), SOAK_CONCURRENCY (32), SOAK_CRASH_CLAIMS
(1000), SOAK_CRASH_ROUNDS (5), SOAK_SMTP_MINUTES (3), SOAK_HOSTILE_CLAIMS (500) and SOAK_HOSTILE (150;
valid claims and hostile-number payloads sent alongside them). PostgreSQL scenarios run when
INVOLVE_TEST_POSTGRES_URL is set.

A request that gets no answer at all is sent again with the same delivery id, as a webhook sender
does, so a failed row still counts lost and duplicated claims; its note says whether the server had
stored the unanswered request (the retry answered 200) or not (202).
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
import traceback
from pathlib import Path

from tests.reliability import scenarios, scenarios_hardening
from tests.reliability.support import Failed, PrefectApi, Result, Server, Sink, table


def _env(name: str, default: float) -> float:
    return float(os.environ.get(name, default))


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="the fast-suite sizes (a smoke test of the soak)")
    ap.add_argument("--only", nargs="*", default=None, help="run only scenarios whose name contains these")
    args = ap.parse_args(argv)
    q = args.quick
    same_minutes = 0.1 if q else _env("SOAK_SAME_MINUTES", 10)
    distinct, dups = (200, 40) if q else (int(_env("SOAK_DISTINCT", 1000)), int(_env("SOAK_DUPLICATES", 200)))
    conc = int(_env("SOAK_CONCURRENCY", 32))
    crash_claims, crash_rounds = (
        (150, 1) if q else (int(_env("SOAK_CRASH_CLAIMS", 1000)), int(_env("SOAK_CRASH_ROUNDS", 5)))
    )
    smtp_seconds = 5 if q else _env("SOAK_SMTP_MINUTES", 3) * 60
    pg = os.environ.get("INVOLVE_TEST_POSTGRES_URL")
    work = Path(tempfile.mkdtemp(prefix="involve-soak-"))
    print(f"soak: work dir {work}", flush=True)
    results: list[Result] = []
    prefect = PrefectApi(work / "prefect").start()
    sink = Sink().start()
    provider = {"INVOLVE_TYPEFORM_SECRET": "soak", "INVOLVE_TALLY_SECRET": "soak"}
    servers: list[Server] = []

    def server(name: str, **kw) -> Server:
        (work / name).mkdir()
        srv = Server(work / name, sink.port, prefect=prefect, extra_env=provider, **kw).start()
        srv.add_staff()
        servers.append(srv)
        return srv

    def run(name: str, fn, *a, **kw) -> None:
        if args.only and not any(o in name for o in args.only):
            return
        print(f"soak: {name} ...", flush=True)
        t0 = time.monotonic()
        try:
            r = fn(*a, **kw)
            r = r[0] if isinstance(r, tuple) else r
        except Failed as exc:  # failed after counting: its row keeps the counts
            traceback.print_exc()
            r = exc.result
        except Exception as exc:  # noqa: BLE001 - one failing scenario must not hide the others
            traceback.print_exc()
            r = Result(name, 0, 0, 0, 0, ok=False, note=f"{type(exc).__name__}: {str(exc)[:300]}")
        if "PostgreSQL" in name and "PostgreSQL" not in r.scenario:
            r.scenario += " (PostgreSQL)"
        r.note = (r.note + "; " if r.note else "") + f"{time.monotonic() - t0:.0f}s"
        results.append(r)
        print(f"soak: {name}: {'ok' if r.ok else 'FAIL'} ({r.note})", flush=True)

    try:
        main_srv = server("sqlite")
        gap = same_minutes * 60 / 50
        run("signatures", scenarios.signature_matrix, main_srv)
        run("same delivery", scenarios.same_delivery, main_srv, times=50, gap=gap)
        run("concurrent same", scenarios.concurrent_same, main_srv, pairs=50)
        run("load", scenarios.load, main_srv, distinct=distinct, duplicates=dups, concurrency=conc)
        run("idle reuse", scenarios.idle_reuse, main_srv, connections=48, rounds=1 if q else 3)
        run(
            "crash under load",
            scenarios.crash_under_load,
            main_srv,
            claims=crash_claims,
            rounds=crash_rounds,
            concurrency=min(conc, 16),
        )
        run("crash steps", scenarios.crash_steps, main_srv, sink, full=True)
        run("hostile numbers under load", scenarios_hardening.hostile_numbers_under_load, main_srv,
            claims=100 if q else int(_env("SOAK_HOSTILE_CLAIMS", 500)),
            hostile=40 if q else int(_env("SOAK_HOSTILE", 150)), concurrency=min(conc, 16))
        run("rewritten audit chain", scenarios_hardening.rewritten_audit_chain, main_srv, claims=20 if q else 200)
        (work / "moved").mkdir()
        run("moved working folder", scenarios_hardening.moved_working_folder, prefect, work / "moved", sink,
            claims=5 if q else 50)
        (work / "smtp").mkdir()
        run(
            "smtp outage",
            scenarios.smtp_outage,
            prefect,
            work / "smtp",
            claims=50 if not q else 6,
            outage=smtp_seconds,
            base=5.0 if not q else 1.0,
            cap=60.0 if not q else 3.0,
        )
        (work / "locked").mkdir()
        run(
            "sqlite locked",
            scenarios.sqlite_locked,
            prefect,
            work / "locked",
            sink,
            busy=5.0 if not q else 2.0,
            hold=40.0 if not q else 3.0,
        )
        if pg:
            (work / "pgdown").mkdir()
            run(
                "postgres outage",
                scenarios.pg_outage,
                prefect,
                work / "pgdown",
                pg,
                sink,
                posts=30 if not q else 6,
                outage=60.0 if not q else 3.0,
            )
            from sqlalchemy import create_engine, text
            from sqlalchemy.engine import make_url

            name = f"involve_soak_{os.getpid()}"
            admin = create_engine(make_url(pg).set(database="postgres"), isolation_level="AUTOCOMMIT")
            with admin.connect() as c:
                c.execute(text(f'CREATE DATABASE "{name}"'))
            try:
                pg_srv = server(
                    "postgres",
                    database_url=make_url(pg).set(database=name).render_as_string(hide_password=False),
                )
                run(
                    "load (PostgreSQL)",
                    scenarios.load,
                    pg_srv,
                    distinct=distinct,
                    duplicates=dups,
                    concurrency=conc,
                )
                run(
                    "crash under load (PostgreSQL)",
                    scenarios.crash_under_load,
                    pg_srv,
                    claims=crash_claims,
                    rounds=crash_rounds,
                    concurrency=min(conc, 16),
                )
                pg_srv.stop()
            finally:
                with admin.connect() as c:
                    c.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
                admin.dispose()
        # the canary: every server's log, every email and the Prefect API, after everything above
        leaks = {}
        dump = prefect.dump()
        for srv in servers:
            leaks.update({f"{srv.workdir.name}:{k}": v for k, v in srv.leaks(sink).items()})
            hits = srv.canary.leaks(dump)
            if hits:
                leaks[f"{srv.workdir.name}:prefect"] = hits
        for r in results:
            r.leaked = len(leaks)
        results.append(
            Result(
                "canary: logs, emails, Prefect API",
                len(servers),
                0,
                0,
                len(leaks),
                ok=not leaks,
                note=str(leaks) if leaks else "",
            )
        )
    finally:
        for srv in servers:
            srv.stop()
        sink.stop()
        prefect.stop()
    print()
    print(table(results))
    return 0 if all(r.ok for r in results) else 1


if __name__ == "__main__":
    sys.exit(main())
