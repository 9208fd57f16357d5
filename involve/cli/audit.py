"""`involve audit verify|export|anchor`: the hash-chained audit trail and its signed heads."""
from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from involve.cli.common import JsonOpt, command, err, out, print_json

audit_app = typer.Typer(no_args_is_help=True, help="The audit chain.")


@audit_app.command("verify")
@command
def audit_verify(anchor: Annotated[Path | None, typer.Option(
                     "--anchor", help="Also prove the chain against every signed head in this anchor file.")] = None,
                 as_json: JsonOpt = False) -> None:
    """Exit 0 with a count when the chain is intact; exit 1 naming the first broken record."""
    from involve import audit
    from involve.db import reader
    from involve.services.anchors import AnchoredVerify, verify_with_anchors

    if anchor is not None:
        r = verify_with_anchors(anchor)
    else:
        with reader() as s:
            w = audit.verify(s)
        r = AnchoredVerify(w.ok, w.count, w.head, 0, w.problem, w.bad_seq)
    if as_json:
        data = {"ok": r.ok, "count": r.count, "head": r.head, "problem": r.problem, "bad_seq": r.bad_seq}
        print_json(data | ({"anchors": r.anchors} if anchor is not None else {}))
    elif r.ok:
        against = f"; matches {r.anchors} signed heads in {anchor}" if anchor is not None else ""
        out.print(f"audit chain intact: {r.count} records, head {r.head}{against}", markup=False)
    else:
        err.print(f"audit chain broken: {r.problem}", markup=False, soft_wrap=True)
    raise typer.Exit(0 if r.ok else 1)


@audit_app.command("anchor")
@command
def audit_anchor(out_file: Annotated[Path | None, typer.Option(
                     "--out", help="Anchor file to append to (default: var/audit-anchors.jsonl under INVOLVE_HOME).")
                 ] = None,
                 as_json: JsonOpt = False) -> None:
    """Sign the current chain head with INVOLVE_AUDIT_KEY and append it to the anchor file; prints the file."""
    from involve.services.anchors import anchor

    r = anchor(out=out_file)
    a = r.anchor
    if as_json:
        return print_json({"file": str(r.path), "seq": a.seq, "hash": a.hash, "at": a.at, "key": a.key,
                           "signature": a.signature})
    err.print(f"signed the audit chain head (record {a.seq}, {a.hash[:12]}) with key {a.key}", markup=False)
    out.print(str(r.path), markup=False, soft_wrap=True)


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
