"""`involve payroll export`: involvement fees paid through payroll, one row per person for a month."""
from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from involve.cli.common import ByOpt, JsonOpt, command, err, out, print_json

payroll_app = typer.Typer(no_args_is_help=True, help="Payroll exports of involvement fees.")


@payroll_app.command("export")
@command
def payroll_export(period: Annotated[str, typer.Option("--period", help="The month, YYYY-MM (not in the future).")],
                   by: ByOpt, out_file: Annotated[Path, typer.Option("--out", help="The CSV file to write.")],
                   as_json: JsonOpt = False) -> None:
    """CSV ni_number,payroll_reference,name,period,gross_fee,claims: fees only, each fee exported once."""
    from involve.services.payroll import export

    r = export(period=period, by=by, out=out_file)
    if as_json:
        return print_json({"file": str(r.path), "tax_year_file": str(r.ytd_path), "period": r.period,
                           "people": r.people, "total": f"{r.total:.2f}", "claims": r.claims, "held": r.held})
    if r.held:
        err.print(f"left out until a valid NI number is known: {', '.join(r.held)}", markup=False,
                  highlight=False, soft_wrap=True)
    out.print(str(r.path), markup=False, highlight=False, soft_wrap=True)
