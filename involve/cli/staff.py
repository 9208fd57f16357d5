"""`involve staff …`: staff members, their roles (an admin grants and removes them), away dates and
API tokens."""
from __future__ import annotations

from typing import Annotated

import typer
from rich.table import Table

from involve.cli.common import JsonOpt, command, out, parse_date, print_json

staff_app = typer.Typer(no_args_is_help=True, help="Staff and their roles.")
AdminBy = Annotated[str, typer.Option("--by", help="Email of the admin acting.")]


def _result(m) -> dict:
    return {"email": m.email, "name": m.name, "roles": list(m.roles or []), "active": bool(m.active)}


@staff_app.command("add")
@command
def staff_add(email: Annotated[str, typer.Option("--email")], name: Annotated[str, typer.Option("--name")],
              role: Annotated[list[str], typer.Option(
                  "--role", help="admin, coordinator, lead, finance, hr, ppi_lead (repeat for more)")],
              by: AdminBy, as_json: JsonOpt = False) -> None:
    """Add a staff member (or give one more roles). Only an admin can (--by)."""
    from involve.services.staff_admin import grant

    result = _result(grant(email, name, role, by=by))
    print_json(result) if as_json else out.print(f"staff {result['email']}: {', '.join(result['roles'])}",
                                                 markup=False)


@staff_app.command("remove-role")
@command
def staff_remove_role(email: Annotated[str, typer.Option("--email")], role: Annotated[str, typer.Option("--role")],
                      by: AdminBy, as_json: JsonOpt = False) -> None:
    """Take a role away from a member of staff (an admin)."""
    from involve.services.staff_admin import remove_role

    result = _result(remove_role(email, role, by=by))
    print_json(result) if as_json else out.print(
        f"staff {result['email']}: {', '.join(result['roles']) or 'no roles'}", markup=False)


@staff_app.command("deactivate")
@command
def staff_deactivate(email: Annotated[str, typer.Option("--email")], by: AdminBy,
                     as_json: JsonOpt = False) -> None:
    """Deactivate a member of staff: no role works any more and their sessions end (an admin)."""
    from involve.services.staff_admin import deactivate

    result = _result(deactivate(email, by=by))
    print_json(result) if as_json else out.print(f"staff {result['email']}: inactive", markup=False)


@staff_app.command("list")
@command
def staff_list(as_json: JsonOpt = False) -> None:
    """Every member of staff with roles, whether active, and whether away today."""
    from involve.views.staff import list_staff

    rows = list_staff()
    if as_json:
        return print_json(rows)
    table = Table("email", "name", "roles", "active", "away")
    for r in rows:
        away = f"{r['away_from']} to {r['away_to']}" + (f" ({r['delegate']})" if r["delegate"] else "") \
            if r["away_from"] else ""
        table.add_row(r["email"], r["name"], ", ".join(r["roles"]), "yes" if r["active"] else "no", away)
    out.print(table)


@staff_app.command("away")
@command
def staff_away(email: Annotated[str, typer.Option("--email")],
               start: Annotated[str, typer.Option("--from", help="First day away, YYYY-MM-DD.")],
               end: Annotated[str, typer.Option("--to", help="Last day away, YYYY-MM-DD.")],
               by: Annotated[str, typer.Option("--by", help="The person, a co-ordinator or an admin.")],
               delegate: Annotated[str | None, typer.Option("--delegate", help="Who covers meanwhile.")] = None,
               as_json: JsonOpt = False) -> None:
    """Set someone's away dates; claims for them go to the delegate meanwhile (waiting ones are re-sent)."""
    from involve.services.staff_admin import set_away
    from involve.views.staff import staff_dict

    m = set_away(email, parse_date(start, "--from"), parse_date(end, "--to"), delegate, by=by)
    from involve import clock

    result = staff_dict(m, clock.now().date())
    print_json(result) if as_json else out.print(
        f"{result['email']} away {result['away_from']} to {result['away_to']}"
        + (f"; {result['delegate']} covers" if result["delegate"] else ""), markup=False)


@staff_app.command("token")
@command
def staff_token(email: Annotated[str, typer.Option("--email")],
                by: Annotated[str, typer.Option("--by", help="The person themselves or an admin.")],
                days: Annotated[int, typer.Option("--days", help="How long the token works.")] = 90,
                ) -> None:
    """Print a signed API token for a staff member (Authorization: Bearer <token>)."""
    from involve.services.staff_tokens import issue_token

    out.print(issue_token(email, days=days, by=by), markup=False, soft_wrap=True)
