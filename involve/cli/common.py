"""What every `involve` command shares: one-line refusals (exit 2), --json output, --by, parsing.

Every command: --help; exit 0 on success; a refused action prints one line to stderr and exits 2;
--json prints machine-readable output. State-changing commands take --by EMAIL (checked against
that person's roles and written to the audit trail).
"""
from __future__ import annotations

import functools
import json
import re
import sys
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Annotated

import typer
from rich.console import Console
from sqlalchemy.exc import SQLAlchemyError
from typer.core import TyperGroup

from involve.domain.text import printable
from involve.errors import InvolveError

try:  # Typer 0.2x carries its own copy of Click; older Typer uses Click itself
    from typer._click.exceptions import MissingParameter
except ImportError:  # pragma: no cover - depends on the Typer installed
    from click.exceptions import MissingParameter


def terminal_safe(obj):
    """Text for a terminal: control characters (ESC sequences, bell, carriage return, bidi overrides)
    removed from every line, so stored text can never drive the terminal; other objects as they are."""
    if isinstance(obj, str):
        return "\n".join(printable(part) for part in obj.split("\n"))
    return obj


class SafeConsole(Console):
    """A rich Console whose `print` never passes control characters from data to the terminal."""

    def print(self, *objects, **kwargs) -> None:  # noqa: A003 - rich's name
        super().print(*(terminal_safe(o) for o in objects), **kwargs)


out = SafeConsole()
err = SafeConsole(stderr=True)

JsonOpt = Annotated[bool, typer.Option("--json", help="Print machine-readable JSON to stdout.")]
ByOpt = Annotated[str, typer.Option("--by", help="Email of the staff member acting.")]
BY_MISSING = "Say who is doing this with --by EMAIL (a staff member's address)."


def refuse(message: str) -> None:
    err.print(message, markup=False, highlight=False, soft_wrap=True)
    raise typer.Exit(2)


class Commands(TyperGroup):
    """The root command group. A state-changing command run without its required `--by` says so in one
    plain line and exits 2, instead of Typer's usage block; every other usage error shows as Typer
    shows it. (Every `--by` is a required option, so Click reports it missing before the command runs.)"""

    def invoke(self, ctx):
        try:
            return super().invoke(ctx)
        except MissingParameter as exc:
            if getattr(exc.param, "name", None) == "by":
                refuse(BY_MISSING)
            raise


def command(fn):
    """Turn InvolveError (and bad settings) into one line on stderr and exit 2; migrate first."""

    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        try:
            from involve.migrate import ensure_current

            ensure_current()
            return fn(*args, **kwargs)
        except InvolveError as exc:
            refuse(str(exc))
        except OSError as exc:
            refuse(f"{exc.strerror or exc}: {getattr(exc, 'filename', '') or ''}".strip(": "))
        except SQLAlchemyError as exc:
            err.print(f"the database is not available ({type(exc).__name__}); nothing was changed",
                      markup=False, soft_wrap=True)
            raise typer.Exit(1) from None

    return wrapper


def print_json(data) -> None:
    sys.stdout.write(json.dumps(data, indent=2, default=str) + "\n")


def parse_money(value: str | None, what: str) -> Decimal | None:
    if value is None:
        return None
    if not re.fullmatch(r"[0-9]{1,9}(\.[0-9]{1,2})?", value.strip()):  # no 1e999999, NaN, -1
        refuse(f"{what}: not an amount: {printable(value)[:40]!r} (use pounds and pence, like 120.00)")
    try:
        amount = Decimal(value.strip())
    except InvalidOperation:
        refuse(f"{what}: not an amount: {printable(value)[:40]!r} (use pounds, like 120.00)")
    if amount < 0 or amount != amount.quantize(Decimal("0.01")):
        refuse(f"{what}: must be pounds and pence, like 120.00")
    return amount


def parse_date(value: str, what: str) -> date:
    try:
        return date.fromisoformat(value)
    except ValueError:
        refuse(f"{what}: not a date: {value!r} (use YYYY-MM-DD)")
