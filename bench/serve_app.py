"""Serve the project's web app or the yardstick with the uvicorn options `involve serve` uses.

    python -m bench.serve_app involve|yardstick PORT

`involve` is `involve.web.app.create_app()` without a runner (intake alone); the benchmark of the
whole `involve serve` (runner included) starts the real command instead. BENCH_UVICORN (JSON)
overrides options for experiments, e.g. '{"workers": 2}' or '{"loop": "asyncio", "http": "h11"}'.
BENCH_SQLITE_SYNCHRONOUS=NORMAL (bench only: the project has no such setting and always runs FULL)
sets that pragma on the project's SQLite connections after involve.db's own, to measure what FULL costs.
"""
from __future__ import annotations

import json
import os
import sys

import uvicorn


def app_factory():
    if os.environ["BENCH_APP"] == "yardstick":
        from bench.yardstick_app import create_app

        return create_app(os.environ["BENCH_YARDSTICK_DB"])
    from involve.web.app import create_app

    return create_app(None)


def _bench_synchronous(mode: str) -> None:
    """Bench only: every SQLite engine involve.db makes runs `PRAGMA synchronous=<mode>` after its own
    connect hook (listeners run in order, so this one wins); the mode read back is logged once."""
    from sqlalchemy import event

    import involve.db as db

    if mode.upper() not in ("OFF", "NORMAL", "FULL", "EXTRA"):
        sys.exit(f"BENCH_SQLITE_SYNCHRONOUS: {mode!r} is not OFF, NORMAL, FULL or EXTRA")
    original, said = db._sqlite_engine, []

    def engine(url: str):
        eng = original(url)

        @event.listens_for(eng, "connect")
        def _after(dbapi_conn, _record):
            cur = dbapi_conn.cursor()
            cur.execute(f"PRAGMA synchronous={mode.upper()}")
            if not said:
                said.append(cur.execute("PRAGMA synchronous").fetchone()[0])
                print(f"bench: SQLite synchronous={said[0]} (0 OFF, 1 NORMAL, 2 FULL, 3 EXTRA) "
                      "set by BENCH_SQLITE_SYNCHRONOUS", file=sys.stderr, flush=True)
            cur.close()

        return eng

    db._sqlite_engine = engine


def main() -> None:
    which, port = sys.argv[1], int(sys.argv[2])
    from involve.serve import settle_heap, uvicorn_options

    os.environ["BENCH_APP"] = which
    if which == "involve":
        if os.environ.get("BENCH_SQLITE_SYNCHRONOUS"):
            _bench_synchronous(os.environ["BENCH_SQLITE_SYNCHRONOUS"])
        from involve.migrate import upgrade
        from involve.serve import check_settings

        check_settings()
        upgrade()
    elif which == "yardstick":
        app_factory()  # creates the table once, before any worker starts
    options = uvicorn_options()
    options.update(json.loads(os.environ.get("BENCH_UVICORN", "{}")))
    if options.get("workers", 1) > 1:
        uvicorn.run("bench.serve_app:app_factory", factory=True, host="127.0.0.1", port=port, **options)
    else:
        app = app_factory()
        settle_heap()  # as `involve serve` does, for both sides
        uvicorn.run(app, host="127.0.0.1", port=port, **options)


if __name__ == "__main__":
    main()
