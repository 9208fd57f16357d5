"""`involve register …`: the involvement register of people who take part (changes need a co-ordinator,
PPI lead or admin as --by). Nothing here shows bank details."""
from __future__ import annotations

from typing import Annotated

import typer
from rich.table import Table

from involve.cli.common import JsonOpt, command, out, parse_date, parse_money, print_json

register_app = typer.Typer(no_args_is_help=True, help="The involvement register.")
EditorBy = Annotated[str, typer.Option("--by", help="The co-ordinator, PPI lead or admin acting.")]


@register_app.command("add")
@command
def register_add(
    email: Annotated[str, typer.Option("--email")], name: Annotated[str, typer.Option("--name")], by: EditorBy,
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
    religion: Annotated[str | None, typer.Option("--religion")] = None,
    sexual_orientation: Annotated[str | None, typer.Option("--sexual-orientation")] = None,
    learning_disability: Annotated[
        bool | None, typer.Option("--learning-disability/--no-learning-disability")] = None,
    carer: Annotated[bool | None, typer.Option(
        "--carer/--service-user", help="Takes part as a carer (or as a service user, the default).")] = None,
    language: Annotated[str | None, typer.Option(
        "--language", help="Their language, BCP 47 (ur, ro): emails to them are in it.")] = None,
    reading_format: Annotated[str | None, typer.Option(
        "--format", help="How we write to them: standard, large_print, easy_read, audio, braille, bsl")] = None,
    as_json: JsonOpt = False,
) -> None:
    """Add a person to the involvement register (or update them). Diversity fields are optional."""
    from involve.services.register import register

    result = register(
        by=by, email=email, name=name, borough=borough,
        weekly_earnings_limit=parse_money(weekly_earnings_limit, "--weekly-earnings-limit"),
        recruitment_consent=recruitment_consent,
        panel_trained_on=parse_date(panel_trained_on, "--panel-trained-on") if panel_trained_on else None,
        unavailable=[parse_date(d.strip(), "--unavailable") for v in unavailable or []
                     for d in v.split(",") if d.strip()],
        conflicts=conflict or [], carer=carer, age_band=age_band, ethnic_group=ethnic_group, gender=gender,
        disability=disability, religion=religion, sexual_orientation=sexual_orientation,
        learning_disability=learning_disability, language=language, reading_format=reading_format)
    print_json(result) if as_json else out.print(f"registered {result['email']} ({result['reference']})",
                                                 markup=False)


@register_app.command("list")
@command
def register_list(q: Annotated[str, typer.Option("--q", help="Name, email or PER- reference.")] = "",
                  borough: Annotated[str, typer.Option("--borough")] = "",
                  status: Annotated[str, typer.Option("--status", help="active or inactive")] = "",
                  as_json: JsonOpt = False) -> None:
    """People in the register (no bank details)."""
    from involve.views.register import list_people

    rows = list_people(q, borough, status, limit=100_000)
    if as_json:
        return print_json(rows)
    table = Table("reference", "name", "email", "borough", "role", "active")
    for r in rows:
        table.add_row(r["reference"], r["name"], r["email"], r["borough"] or "-",
                      r["role"].replace("_", " "), "yes" if r["active"] else "no")
    out.print(table)


@register_app.command("show")
@command
def register_show(email: str, as_json: JsonOpt = False) -> None:
    """One person with their involvement history (no bank details)."""
    from involve.views.register import show_person

    data = show_person(email)
    if as_json:
        return print_json(data)
    for key in ("reference", "name", "email", "borough", "role", "active", "recruitment_consent",
                "panel_trained_on", "mapping_categories"):
        out.print(f"{key:>20}: {data[key]}", markup=False)
    for c in data["claims"]:
        out.print(f"  {c['activity_date']} {c['reference']} {c['status']} {c['activity_title']}", markup=False)
    for r in data["panels"]:
        out.print(f"  {r['interview_date']} {r['reference']} panel ({r['status']}) {r['title']}", markup=False)


@register_app.command("deactivate")
@command
def register_deactivate(email: str, by: EditorBy, as_json: JsonOpt = False) -> None:
    """Take a person off the active register (their history stays)."""
    from involve.services.register import deactivate
    from involve.views.register import person_dict

    p = deactivate(email, by=by)
    result = person_dict(p)
    print_json(result) if as_json else out.print(f"{result['reference']} inactive", markup=False)


@register_app.command("details-link")
@command
def register_details_link(email: str, by: EditorBy) -> None:
    """Email a person the `Update your details:` link to their own page."""
    from involve.services.register import send_details_link

    p = send_details_link(email, by=by)
    out.print(f"PER-{p.id}: link sent to {p.email}", markup=False)
