"""`involve plan …`: the Action Plan - load it, list and show actions, record progress."""
from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from involve.cli.common import ByOpt, JsonOpt, command, out, print_json

plan_app = typer.Typer(no_args_is_help=True, help="The Action Plan: actions, leads, timescales, progress.")
StatusOpt = Annotated[str, typer.Option("--status", help="not_started, on_track, at_risk or done.")]


@plan_app.command("load")
@command
def plan_load(file: Annotated[Path, typer.Argument(help="The plan (TOML), e.g. involve/data/action-plan.toml.")],
              by: ByOpt, as_json: JsonOpt = False) -> None:
    """Load an action plan file (a duplicate action id refuses the whole file)."""
    from involve.services import plan

    result = plan.load(file, by=by)
    print_json(result) if as_json else out.print(
        f"loaded {result['actions']} actions ({result['added']} new, {result['updated']} changed)")


def _line(a: dict) -> str:
    return f"{a['id']:<6} {a['status']:<12} {a['work_area']}: {a['action']}"


@plan_app.command("list")
@command
def plan_list(as_json: JsonOpt = False) -> None:
    """Every action with its status."""
    from involve.views.programme import plan_actions

    rows = plan_actions()
    if as_json:
        print_json(rows)
        return
    for a in rows:
        out.print(_line(a), markup=False, highlight=False, soft_wrap=True)


@plan_app.command("show")
@command
def plan_show(action_id: Annotated[str, typer.Argument(metavar="ID")], as_json: JsonOpt = False) -> None:
    """One action with its updates."""
    from involve.views.programme import plan_action

    a = plan_action(action_id)
    if as_json:
        print_json(a)
        return
    out.print(_line(a), markup=False, highlight=False, soft_wrap=True)
    for key in ("outcome", "lead", "timescale", "how_tracked"):
        out.print(f"  {key}: {a[key] or '(not stated)'}", markup=False, highlight=False)
    for u in a["updates"]:
        out.print(f"  {u['at'][:10]} {u['status']}: {u['note']} ({u['by']})", markup=False, highlight=False)


@plan_app.command("update")
@command
def plan_update(action_id: Annotated[str, typer.Argument(metavar="ID")], status: StatusOpt,
                note: Annotated[str, typer.Option("--note", help="What has happened.")], by: ByOpt,
                evidence: Annotated[str | None, typer.Option("--evidence", help="Where the evidence is.")] = None,
                as_json: JsonOpt = False) -> None:
    """Record progress on an action: its status and a dated note."""
    from involve.services import plan

    a = plan.update(action_id, status=status, note=note, by=by, evidence=evidence)
    print_json(a) if as_json else out.print(f"{a['id']} is {a['status']}")
