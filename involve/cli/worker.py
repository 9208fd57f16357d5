"""`involve worker`: run the flows handed off to the Prefect work pool, in this process (involve/worker.py)."""
from __future__ import annotations

import os
from typing import Annotated

import typer

from involve.cli.common import refuse


def worker(pool: Annotated[str, typer.Option(help="Prefect work pool (make deploy creates it).")] = "involve",
           limit: Annotated[int | None, typer.Option(help="Flow runs at once (default: no limit).")] = None,
           name: Annotated[str | None, typer.Option(help="Worker name (default: Prefect's).")] = None) -> None:
    """Scale-out worker: runs the deployments' flow runs (PREFECT_API_URL) in one long-lived process."""
    from prefect.settings import PREFECT_API_URL

    if not (os.environ.get("PREFECT_API_URL") or PREFECT_API_URL.value()):
        refuse("set PREFECT_API_URL to the Prefect server's API, e.g. http://prefect:4200/api")
    if limit is not None and limit < 1:
        refuse(f"--limit must be 1 or more, not {limit}")
    from involve.serve import quiet_logging
    from involve.worker import start

    quiet_logging()
    start(pool=pool, limit=limit, name=name)
