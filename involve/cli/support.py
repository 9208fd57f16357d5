"""`involve unmet-need …`, `involve buddy …`, `involve support …`: support for people who take part
and the unmet-need log."""
from __future__ import annotations

from typing import Annotated

import typer

from involve.cli.common import ByOpt, JsonOpt, command, out, print_json

unmet_need_app = typer.Typer(no_args_is_help=True, help="The unmet-need log (fed into service planning).")
buddy_app = typer.Typer(no_args_is_help=True, help="Buddy / mentor pairings.")
support_app = typer.Typer(no_args_is_help=True, help="Admin-support requests (room, copying, travel booking).")


@unmet_need_app.command("add")
@command
def unmet_need_add(description: Annotated[str, typer.Option("--description", help="What was asked for.")],
                   service: Annotated[str, typer.Option("--service")], by: ByOpt,
                   asked_by: Annotated[str | None, typer.Option("--asked-by", help="Who asked (a group, a "
                                                                                   "forum; not a name).")] = None,
                   outcome: Annotated[str | None, typer.Option("--outcome", help="What happened.")] = None,
                   as_json: JsonOpt = False) -> None:
    """Record an unmet need."""
    from involve.services import support

    n = support.add_unmet_need(description=description, service=service, by=by, asked_by=asked_by, outcome=outcome)
    print_json({"reference": f"UN-{n.id}", "service": n.service, "recorded_on": n.recorded_on.isoformat()}) \
        if as_json else out.print(f"UN-{n.id}")


@buddy_app.command("pair")
@command
def buddy_pair(buddy: Annotated[str, typer.Option("--buddy", help="The buddy or mentor's email.")],
               person: Annotated[str, typer.Option("--person", help="The person supported (email).")],
               by: ByOpt, as_json: JsonOpt = False) -> None:
    """Pair a buddy / mentor with a person (both in the register)."""
    from involve.services import support

    p = support.pair(buddy=buddy, person=person, by=by)
    print_json({"reference": f"BUD-{p.id}", "started_on": p.started_on.isoformat()}) if as_json \
        else out.print(f"BUD-{p.id}")


@buddy_app.command("end")
@command
def buddy_end(pair_id: Annotated[int, typer.Argument(metavar="ID")], by: ByOpt) -> None:
    """End a pairing."""
    from involve.services import support

    support.end_pair(pair_id, by=by)
    out.print(f"BUD-{pair_id} ended")


@support_app.command("request")
@command
def support_request(person: Annotated[str, typer.Option("--person")],
                    kind: Annotated[str, typer.Option("--kind", help="room, copying, travel_booking, other.")],
                    description: Annotated[str, typer.Option("--description")], by: ByOpt,
                    as_json: JsonOpt = False) -> None:
    """Record an admin-support request (status open)."""
    from involve.services import support

    r = support.request_support(person=person, kind=kind, description=description, by=by)
    print_json({"reference": f"SUP-{r.id}", "status": r.status}) if as_json else out.print(f"SUP-{r.id}")


@support_app.command("status")
@command
def support_status(request_id: Annotated[int, typer.Argument(metavar="ID")],
                   status: Annotated[str, typer.Option("--status", help="done or cancelled.")], by: ByOpt) -> None:
    """Close an admin-support request."""
    from involve.services import support

    r = support.set_support_status(request_id, status=status, by=by)
    out.print(f"SUP-{r.id} is {r.status}")
