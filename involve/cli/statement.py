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
              language: Annotated[str | None, typer.Option(
                  "--language", help="Write it in this language (ur, ro, en); default: the person's.")] = None,
              reading_format: Annotated[str | None, typer.Option(
                  "--format", help="standard, large_print or easy_read; default: the person's.")] = None,
              as_json: JsonOpt = False) -> None:
    """Write a person's payments statement for a tax year: fee and expenses paid, by date, in their
    language and format (their register entry's, else their latest claim's) unless told otherwise."""
    from involve import i18n
    from involve.errors import InvolveError
    from involve.reports.statement import choose, write_statement
    from involve.services.people import normalise_email
    from involve.views.claimant import statement as read_statement
    from involve.views.claimant import statement_json

    if language is not None and not i18n.normalise(language):
        raise InvolveError(f"--language {language!r} is not offered; choose from {', '.join(i18n.offered())}")
    if reading_format is not None and reading_format not in i18n.FORMATS:
        raise InvolveError(f"--format must be one of {', '.join(i18n.FORMATS)}")
    st = read_statement(normalise_email(email), tax_year)
    code, fmt = choose(st, language, reading_format)
    paths = write_statement(st, out_dir, code, fmt)
    if as_json:
        return print_json(dict(statement_json(st), language=code, format=fmt,
                               files={k: str(v) for k, v in paths.items()}))
    out.print(str(paths["csv"]), markup=False)
