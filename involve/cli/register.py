"""`involve register …`: the involvement register of people who take part."""
from __future__ import annotations

from typing import Annotated

import typer

from involve.cli.common import JsonOpt, command, out, parse_date, parse_money, print_json

register_app = typer.Typer(no_args_is_help=True, help="The involvement register.")


@register_app.command("add")
@command
def register_add(
    email: Annotated[str, typer.Option("--email")], name: Annotated[str, typer.Option("--name")],
    borough: Annotated[str | None, typer.Option("--borough")] = None,
    weekly_earnings_limit: Annotated[str | None, typer.Option("--weekly-earnings-limit")] = None,
    recruitment_consent: Annotated[bool, typer.Option("--recruitment-consent")] = False,
    panel_trained_on: Annotated[str | None, typer.Option("--panel-trained-on")] = None,
    unavailable: Annotated[list[str] | None, typer.Option(
        "--unavailable", help="A date (repeat, or comma-separated).")] = None,
    conflict: Annotated[list[str] | None, typer.Option("--conflict", help="A team or service (repeat).")] = None,
    age_band: Annotated[str | None, typer.Option("--age-band")] = None,
    ethnic_group: Annotated[str | None, typer.Option("--ethnic-group")] = None,
    gender: Annotated[str | None, typer.Option("--gender")] = None,
    disability: Annotated[str | None, typer.Option("--disability")] = None,
    learning_disability: Annotated[
        bool | None, typer.Option("--learning-disability/--no-learning-disability")] = None,
    carer: Annotated[bool | None, typer.Option(
        "--carer/--service-user", help="Takes part as a carer (or as a service user, the default).")] = None,
    by: Annotated[str | None, typer.Option("--by")] = None, as_json: JsonOpt = False,
) -> None:
    """Add a person to the involvement register (or update them). Diversity fields are optional."""
    from involve.db import unit_of_work
    from involve.domain.diversity import categories_of
    from involve.services.people import add_person

    with unit_of_work() as s:
        p = add_person(s, email=email, name=name, borough=borough,
                       weekly_earnings_limit=parse_money(weekly_earnings_limit, "--weekly-earnings-limit"),
                       recruitment_consent=recruitment_consent,
                       panel_trained_on=(parse_date(panel_trained_on, "--panel-trained-on")
                                         if panel_trained_on else None),
                       unavailable=[parse_date(d.strip(), "--unavailable") for v in unavailable or []
                                    for d in v.split(",") if d.strip()],
                       conflicts=conflict or [], carer=carer, by=by, age_band=age_band, ethnic_group=ethnic_group,
                       gender=gender,
                       disability=disability, learning_disability=learning_disability)
        result = {"id": p.id, "email": p.email, "name": p.name, "borough": p.borough, "carer": p.carer,
                  "mapping_categories": sorted(categories_of(p))}  # involve/domain/diversity.py
    print_json(result) if as_json else out.print(f"registered {result['email']}")
