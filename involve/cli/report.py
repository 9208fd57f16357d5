"""`involve report annual|forum|budget` and `involve dev generate`.

Reports only read: they take no --by and write no audit record. Progress goes to stderr as a
Rich progress bar; the HTML path is printed on stdout (or everything as --json).
"""

from __future__ import annotations

from contextlib import contextmanager
from pathlib import Path
from typing import Annotated

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from involve.cli.common import JsonOpt, command, err, out, print_json, refuse

report_app = typer.Typer(no_args_is_help=True, help="Annual report and the User Forum payments report.")
dev_app = typer.Typer(no_args_is_help=True, help="Developer tools: generated data for tests and benchmarks.")

OutOpt = Annotated[Path, typer.Option("--out", help="Folder for report.html, report.csv and charts/.")]
NoPdfOpt = Annotated[bool, typer.Option("--no-pdf", help="Do not try to write report.pdf.")]


@contextmanager
def steps(title: str, total: int):
    """A Rich progress bar on stderr; yields a callback to call at the start of each step."""
    with Progress(
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=err,
        transient=False,
    ) as progress:
        task = progress.add_task(title, total=total)
        started = [False]

        def step(label: str) -> None:
            if started[0]:
                progress.advance(task)
            started[0] = True
            progress.update(task, description=f"{title}: {label}")

        yield step
        progress.update(task, completed=total, description=f"{title}: done")


def _result(files, as_json: bool) -> None:
    data = {
        "html": str(files.html),
        "csv": str(files.csv),
        "pdf": str(files.pdf) if files.pdf else None,
        "note": files.note,
        "rows": len(files.figures.rows),
    }
    if as_json:
        print_json(data)
        return
    if files.note:
        err.print(files.note, markup=False, highlight=False)
    out.print(str(files.html), markup=False, highlight=False, soft_wrap=True)


@report_app.command("annual")
@command
def report_annual(
    year: Annotated[int, typer.Option("--year", help="Financial year starting 1 April YYYY.")],
    out_dir: OutOpt,
    no_pdf: NoPdfOpt = False,
    as_json: JsonOpt = False,
) -> None:
    """Annual report for 1 April YYYY - 31 March YYYY+1: report.html, report.csv, charts (and a PDF)."""
    from involve.reports.annual import STEPS, annual_report

    if not 2000 <= year <= 2100:
        refuse(f"--year: {year} is not a plausible financial year (use the starting year, like 2025)")
    with steps(f"annual report {year}/{str(year + 1)[2:]}", len(STEPS)) as step:
        files = annual_report(year, out_dir, pdf=not no_pdf, step=step)
    _result(files, as_json)


@report_app.command("forum")
@command
def report_forum(
    month: Annotated[str, typer.Option("--month", help="The month, YYYY-MM.")],
    out_dir: OutOpt,
    no_pdf: NoPdfOpt = False,
    as_json: JsonOpt = False,
) -> None:
    """The monthly payments report for the User Forum (figures only, no names or emails)."""
    from involve.reports.forum import STEPS, forum_report, parse_month

    parse_month(month)
    with steps(f"User Forum report {month}", len(STEPS)) as step:
        files = forum_report(month, out_dir, pdf=not no_pdf, step=step)
    _result(files, as_json)


@report_app.command("budget")
@command
def report_budget(
    year: Annotated[int, typer.Option("--year", help="Financial year starting 1 April YYYY.")],
    out_dir: OutOpt,
    as_json: JsonOpt = False,
) -> None:
    """Spend against budget per cost centre and month: report.csv, report.html and charts/budget.svg."""
    from involve.reports.budget import budget_report

    if not 2000 <= year <= 2100:
        refuse(f"--year: {year} is not a plausible financial year (use the starting year, like 2026)")
    files = budget_report(year, out_dir)
    if as_json:
        return print_json({"html": str(files.html), "csv": str(files.csv), "chart": str(files.chart),
                           "rows": len(files.rows)})
    out.print(str(files.html), markup=False, highlight=False, soft_wrap=True)


@dev_app.command("generate")
@command
def dev_generate(
    claims: Annotated[int, typer.Option("--claims", min=1, help="How many claims to insert.")],
    seed: Annotated[int, typer.Option("--seed")] = 1,
    people: Annotated[int | None, typer.Option("--people", help="Default: claims / 40.")] = None,
    first_year: Annotated[int, typer.Option("--first-year", help="First financial year.")] = 2023,
    as_json: JsonOpt = False,
) -> None:
    """Insert generated people, claims, payments, recruitments and the involvement programme's data."""
    from involve.reports.generate import generate

    with Progress(
        TextColumn("[bold]generating"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(), console=err
    ) as progress:
        task = progress.add_task("claims", total=claims)
        g = generate(
            claims,
            seed=seed,
            people=people,
            first_year=first_year,
            progress=lambda n: progress.advance(task, n),
        )
    data = {"claims": g.claims, "payments": g.payments, "people": g.people, "recruitments": g.recruitments,
            "activities": g.activities}
    print_json(data) if as_json else out.print(
        f"generated {g.claims} claims, {g.payments} payments, {g.people} people, "
        f"{g.recruitments} recruitments, {g.activities} activities"
    )
