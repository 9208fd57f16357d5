"""`involve keys rotate`: re-encrypt stored bank details under the first INVOLVE_DATA_KEY."""

from __future__ import annotations

from typing import Annotated

import typer

keys_app = typer.Typer(no_args_is_help=True, help="Encryption keys for data at rest.")


@keys_app.command("rotate")
def keys_rotate(
    by: Annotated[str, typer.Option("--by", help="Email of the staff member acting (finance).")],
    as_json: Annotated[bool, typer.Option("--json", help="Print machine-readable JSON.")] = False,
) -> None:
    """Re-encrypt every stored bank detail under the first key of INVOLVE_DATA_KEY ("new,old").
    Afterwards the old key can be removed."""
    from involve.cli.common import command, out, print_json
    from involve.services.keys import rotate_all

    @command
    def go() -> None:
        r = rotate_all(by=by)
        data = {"values": r.values, "columns": r.columns, "key_fingerprint": r.key_fingerprint}
        if as_json:
            print_json(data)
        else:
            out.print(
                f"re-encrypted {r.values} values under key {r.key_fingerprint} "
                f"({', '.join(r.columns)}); the old key can now be removed from INVOLVE_DATA_KEY"
            )

    go()
