"""Every state-changing command (every command with a `--by`) run without `--by` says so in one plain
line and exits 2 - not Typer's usage block. Walks the whole command tree, so a new command is covered
as soon as it takes `--by`; no database is needed (the option is missing before the command runs)."""
from __future__ import annotations

import pytest
import typer.main
from typer.testing import CliRunner

from involve.cli.common import BY_MISSING
from involve.cli.main import app

# the contract's state-changing commands: each must take a required --by (a floor, not the whole list)
MUST_TAKE_BY = {
    "staff add", "staff remove-role", "staff deactivate", "staff away", "register add", "register deactivate",
    "register details-link", "claims approve", "claims reject", "claims ask", "claims pay", "payments run",
    "payments mark-paid", "payments failed", "payments reconcile", "payments check-details", "payroll export",
    "budget set", "recruitment start", "recruitment attend", "training add", "plan load", "plan update",
    "activity create", "activity attend", "forum create", "unmet-need add",
}


def _commands():
    root = typer.main.get_command(app)
    ctx = typer.Context(root)

    def walk(cmd, path):
        if hasattr(cmd, "list_commands"):
            for name in cmd.list_commands(ctx):
                yield from walk(cmd.get_command(ctx, name), (*path, name))
        else:
            yield " ".join(path), cmd

    return dict(walk(root, ()))


COMMANDS = _commands()
WITH_BY = {name: cmd for name, cmd in COMMANDS.items() if any(p.name == "by" for p in cmd.params)}


def _args_without_by(name: str, cmd) -> list[str]:
    """The command with a harmless value for every other required argument and option."""
    args = name.split()
    for p in cmd.params:
        if p.name == "by" or not p.required:
            continue
        if p.param_type_name == "argument":
            args.append("1")
        elif getattr(p, "is_flag", False):
            args.append(p.opts[0])
        else:
            args += [p.opts[0], "1"]
    return args


def test_every_state_changing_command_takes_a_required_by():
    assert MUST_TAKE_BY <= set(WITH_BY), sorted(MUST_TAKE_BY - set(WITH_BY))
    assert all(next(p for p in cmd.params if p.name == "by").required for cmd in WITH_BY.values())


@pytest.mark.parametrize("name", sorted(WITH_BY))
def test_missing_by_is_one_plain_line_and_exit_2(name):
    r = CliRunner().invoke(app, _args_without_by(name, WITH_BY[name]))
    assert r.exit_code == 2, (name, r.output)
    assert r.output == BY_MISSING + "\n", (name, r.output)


def test_other_usage_errors_still_show_typer_usage():
    r = CliRunner().invoke(app, ["claims", "reject", "--by", "coord@example.nhs.uk"])
    assert r.exit_code == 2 and "Usage:" in r.output and "reference" in r.output.lower()
