"""`involve staff …`: staff members, their roles and API tokens."""
from __future__ import annotations

from typing import Annotated

import typer

from involve.cli.common import JsonOpt, command, out, print_json

staff_app = typer.Typer(no_args_is_help=True, help="Staff and their roles.")


@staff_app.command("add")
@command
def staff_add(email: Annotated[str, typer.Option("--email")], name: Annotated[str, typer.Option("--name")],
              role: Annotated[list[str], typer.Option("--role", help="coordinator, lead, finance, hr, ppi_lead")],
              by: Annotated[str | None, typer.Option("--by")] = None, as_json: JsonOpt = False) -> None:
    """Add a staff member (or add roles to one)."""
    from involve.db import unit_of_work
    from involve.services.people import add_staff

    with unit_of_work() as s:
        m = add_staff(s, email=email, name=name, roles=role, by=by)
        result = {"email": m.email, "name": m.name, "roles": m.roles}
    print_json(result) if as_json else out.print(f"staff {result['email']}: {', '.join(result['roles'])}")


@staff_app.command("token")
@command
def staff_token(email: Annotated[str, typer.Option("--email")],
                days: Annotated[int, typer.Option("--days", help="How long the token works.")] = 90) -> None:
    """Print a signed API token for a staff member (Authorization: Bearer <token>)."""
    from involve.services.staff_tokens import issue_token

    out.print(issue_token(email, days=days), markup=False, soft_wrap=True)
