"""`involve init --admin EMAIL`: the first admin of an empty database (then an admin adds staff)."""
from __future__ import annotations

from typing import Annotated

import typer

from involve.cli.common import JsonOpt, command, out, print_json


@command
def init(admin: Annotated[str, typer.Option("--admin", help="Email of the first admin.")],
         name: Annotated[str | None, typer.Option("--name")] = None, as_json: JsonOpt = False) -> None:
    """Create the first admin of an empty database (refused once any staff exist)."""
    from involve.services.staff_admin import init_admin

    m = init_admin(admin, name)
    result = {"email": m.email, "name": m.name, "roles": list(m.roles)}
    if as_json:
        return print_json(result)
    out.print(f"admin {m.email} created. Next: involve staff add --email E --name N --role R --by {m.email}",
              markup=False, soft_wrap=True)
