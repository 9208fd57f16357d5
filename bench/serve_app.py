"""Serve the project's web app or the yardstick with the uvicorn options `involve serve` uses.

    python -m bench.serve_app involve|yardstick PORT

`involve` is `involve.web.app.create_app()` without a runner (intake alone); the benchmark of the
whole `involve serve` (runner included) starts the real command instead. BENCH_UVICORN (JSON)
overrides options for experiments, e.g. '{"workers": 2}' or '{"loop": "asyncio", "http": "h11"}'.
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


def main() -> None:
    which, port = sys.argv[1], int(sys.argv[2])
    from involve.serve import settle_heap, uvicorn_options

    os.environ["BENCH_APP"] = which
    if which == "involve":
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
