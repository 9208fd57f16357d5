"""`involve db upgrade` and `involve serve`."""
from __future__ import annotations

from typing import Annotated

import typer

from involve.cli.common import out, refuse
from involve.errors import InvolveError

db_app = typer.Typer(no_args_is_help=True, help="Database schema.")


def serve(host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
          port: Annotated[int, typer.Option(help="Port to listen on.")] = 8000) -> None:
    """Web app (webhooks, pages, API) plus the flow runner; migrates first."""
    from involve.serve import run

    try:
        run(host=host, port=port)
    except InvolveError as exc:
        refuse(str(exc))


@db_app.command("upgrade")
def db_upgrade() -> None:
    """Alembic migrations to head."""
    from involve.migrate import upgrade

    try:
        before, after = upgrade()
    except InvolveError as exc:
        refuse(str(exc))
    out.print(f"database at revision {after}" + ("" if before == after else f" (was {before or 'empty'})"))
