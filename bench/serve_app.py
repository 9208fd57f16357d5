"""Serve the project's web app or the yardstick with the uvicorn options `involve serve` uses.

    python -m bench.serve_app involve|yardstick PORT

`involve` is `involve.web.app.create_app()` without a runner (intake alone); the benchmark of the
whole `involve serve` (runner included) starts the real command instead.
"""
from __future__ import annotations

import json
import os
import sys

import uvicorn


def main() -> None:
    which, port = sys.argv[1], int(sys.argv[2])
    from involve.serve import uvicorn_options

    if which == "yardstick":
        from bench.yardstick_app import create_app

        app = create_app(os.environ["BENCH_YARDSTICK_DB"])
    else:
        from involve.migrate import upgrade
        from involve.serve import check_settings
        from involve.web.app import create_app

        check_settings()
        upgrade()
        app = create_app(None)
    options = uvicorn_options()
    options.update(json.loads(os.environ.get("BENCH_UVICORN", "{}")))  # experiments: loop, http
    uvicorn.run(app, host="127.0.0.1", port=port, **options)


if __name__ == "__main__":
    main()
