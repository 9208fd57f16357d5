"""`involve audit verify|export`: the hash-chained audit trail."""
from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from involve.cli.common import JsonOpt, command, err, out, print_json

audit_app = typer.Typer(no_args_is_help=True, help="The audit chain.")


@audit_app.command("verify")
@command
def audit_verify(as_json: JsonOpt = False) -> None:
    """Exit 0 with a count when the chain is intact; exit 1 naming the first broken record."""
    from involve import audit
    from involve.db import reader

    with reader() as s:
        r = audit.verify(s)
    if as_json:
        print_json({"ok": r.ok, "count": r.count, "head": r.head, "problem": r.problem, "bad_seq": r.bad_seq})
    elif r.ok:
        out.print(f"audit chain intact: {r.count} records, head {r.head}")
    else:
        err.print(f"audit chain broken: {r.problem}", markup=False)
    raise typer.Exit(0 if r.ok else 1)


@audit_app.command("export")
@command
def audit_export(out_file: Annotated[Path, typer.Option("--out")]) -> None:
    """The audit chain as JSON lines, ending with the chain head."""
    from involve import audit
    from involve.db import reader

    out_file.parent.mkdir(parents=True, exist_ok=True)
    n = 0
    with reader() as s, open(out_file, "w") as fh:
        for line in audit.export_lines(s):
            fh.write(line + "\n")
            n += 1
    out.print(f"wrote {n - 1} records and the chain head to {out_file}")
