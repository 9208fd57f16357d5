"""`involve budget set`: a cost centre's budget for a financial year (1 April YYYY - 31 March)."""
from __future__ import annotations

from typing import Annotated

import typer

from involve.cli.common import ByOpt, JsonOpt, command, out, parse_money, print_json

budget_app = typer.Typer(no_args_is_help=True, help="Budgets by cost centre.")


@budget_app.command("set")
@command
def budget_set(cost_centre: Annotated[str, typer.Option("--cost-centre", help="A cost centre of the policy file.")],
               year: Annotated[int, typer.Option("--year", help="Financial year starting 1 April YYYY.")],
               amount: Annotated[str, typer.Option("--amount", help="The year's budget in pounds, like 12000.00.")],
               by: ByOpt, as_json: JsonOpt = False) -> None:
    """Set (or change) the year's budget of a cost centre."""
    from involve.services.budgets import set_budget

    b = set_budget(cost_centre=cost_centre, year=year, amount=parse_money(amount, "--amount"), by=by)
    if as_json:
        return print_json({"cost_centre": b.cost_centre, "year": b.year, "amount": f"{b.amount:.2f}"})
    out.print(f"{b.cost_centre} {b.year}/{str(b.year + 1)[2:]}: £{b.amount:,.2f}", markup=False, highlight=False)
