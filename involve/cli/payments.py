"""`involve payments …`: payment runs."""
from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from involve.cli.common import ByOpt, JsonOpt, command, out, print_json

payments_app = typer.Typer(no_args_is_help=True, help="Payment runs.")


@payments_app.command("run")
@command
def payments_run(by: ByOpt, out_dir: Annotated[Path | None, typer.Option(
                     "--out", help="Folder for the CSV (default: var/payment-runs under INVOLVE_HOME).")] = None,
                 include_bank_details: Annotated[bool, typer.Option(
                     "--include-bank-details", help="Write full bank details into the file (for BACS).")] = False,
                 as_json: JsonOpt = False) -> None:
    """Payment-run CSV of all approved, unpaid claims not in an earlier run."""
    from involve.services.claims import payment_run
    from involve.settings import settings

    out_dir = out_dir or settings.payment_runs_dir
    r = payment_run(by=by, out_dir=out_dir, include_bank_details=include_bank_details)
    data = {"run_id": r.run_id, "claims": r.count, "total": f"{r.total:.2f}", "file": str(r.path) if r.path else None}
    if as_json:
        return print_json(data)
    out.print(f"payment run {r.run_id}: {r.count} claims, £{r.total:.2f}, {r.path}" if r.path
              else "no approved claims are waiting for a payment run")
