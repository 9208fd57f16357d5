"""`involve flows list`: every flow of the registry (flows/registry.py) with its schedule and next run."""
from __future__ import annotations

import typer
from rich.table import Table

from involve.cli.common import JsonOpt, command, out, print_json

flows_app = typer.Typer(no_args_is_help=True, help="The Prefect flows, their schedules and next runs.")


@flows_app.command("list")
@command
def flows_list(as_json: JsonOpt = False) -> None:
    """Each flow: its deployment name, entrypoint, schedule (cron in its time zone, or an interval in
    seconds), concurrency limit and next run time (the same for the embedded runner and deployments)."""
    from flows.registry import REGISTRY
    from involve import clock

    now = clock.now()
    rows = [{"name": f.name, "entrypoint": f.entrypoint, "cron": f.cron, "interval": f.interval,
             "timezone": f.timezone, "concurrency_limit": f.concurrency_limit,
             "runs_when_work_waits": f.work is not None,
             "next_run": (n.isoformat() if (n := f.next_run(now)) else None), "description": f.description}
            for f in REGISTRY]
    if as_json:
        return print_json(rows)
    table = Table("name", "schedule", "next run (UTC)", "at once")
    for r in rows:
        schedule = f"cron {r['cron']} ({r['timezone']})" if r["cron"] else f"every {r['interval']} s"
        if r["runs_when_work_waits"]:
            schedule += " + when work waits"
        table.add_row(r["name"], schedule, (r["next_run"] or "-")[:16].replace("T", " "),
                      str(r["concurrency_limit"] or "any"))
    out.print(table)
