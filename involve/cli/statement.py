"""`involve statement`: a person's payments statement for a tax year (for benefits and tax)."""
from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from involve.cli.common import JsonOpt, command, out, print_json


@command
def statement(email: Annotated[str, typer.Option("--email", help="The person's email address.")],
              tax_year: Annotated[str, typer.Option("--tax-year", help="Like 2026-27 (6 April to 5 April).")],
              out_dir: Annotated[Path, typer.Option("--out", help="Folder for statement.csv/.html/.pdf.")],
              as_json: JsonOpt = False) -> None:
    """Write a person's payments statement for a tax year: fee and expenses paid, by date."""
    from involve.reports.statement import write_statement
    from involve.services.people import normalise_email
    from involve.views.claimant import statement as read_statement
    from involve.views.claimant import statement_json

    st = read_statement(normalise_email(email), tax_year)
    paths = write_statement(st, out_dir)
    if as_json:
        return print_json(dict(statement_json(st), files={k: str(v) for k, v in paths.items()}))
    out.print(str(paths["csv"]), markup=False)
