"""`involve forum …`: user forums (per service or borough), their members and meetings."""
from __future__ import annotations

from typing import Annotated

import typer

from involve.cli.common import ByOpt, JsonOpt, command, out, print_json

forum_app = typer.Typer(no_args_is_help=True, help="User forums: members, meetings, the monthly report.")


@forum_app.command("create")
@command
def forum_create(name: Annotated[str, typer.Option("--name")], borough: Annotated[str, typer.Option("--borough")],
                 by: ByOpt, service: Annotated[str | None, typer.Option("--service")] = None,
                 contact: Annotated[str | None, typer.Option(
                     "--contact", help="Who receives the monthly report (default: --by).")] = None,
                 as_json: JsonOpt = False) -> None:
    """Set up a user forum. Its meetings are activities of kind forum_meeting (activity create --forum)."""
    from involve.services import forums

    f = forums.create(name=name, borough=borough, service=service, by=by, contact=contact)
    data = {"reference": f.reference, "name": f.name, "borough": f.borough, "service": f.service,
            "contact": f.contact_email}
    print_json(data) if as_json else out.print(f.reference)


@forum_app.command("add-member")
@command
def forum_add_member(forum: Annotated[str, typer.Argument(metavar="FRM")],
                     person: Annotated[str, typer.Option("--person", help="Their email (in the register).")],
                     by: ByOpt) -> None:
    """Add a person from the register to a forum."""
    from involve.services import forums

    f = forums.add_member(forum, email=person, by=by)
    out.print(f"added to {f.reference}")


@forum_app.command("list")
@command
def forum_list(as_json: JsonOpt = False) -> None:
    """Every forum with its members and meetings."""
    from involve.views.programme import forums

    rows = forums()
    if as_json:
        print_json(rows)
        return
    for f in rows:
        out.print(f"{f['reference']} {f['name']} ({f['borough']}): {f['members']} members, {f['meetings']} meetings",
                  markup=False, highlight=False)
