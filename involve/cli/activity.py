"""`involve activity …`: involvement activities - create (with invitations), show, attendance,
and the outputs of monitoring activities."""
from __future__ import annotations

from typing import Annotated

import typer

from involve.cli.common import ByOpt, JsonOpt, command, out, parse_date, print_json

activity_app = typer.Typer(no_args_is_help=True, help="Involvement activities: invitations and attendance.")
RefArg = Annotated[str, typer.Argument(metavar="ACT", help="The activity's reference (ACT-…).")]


@activity_app.command("create")
@command
def activity_create(
    kind: Annotated[str, typer.Option("--kind", help="forum_meeting, ward_visit, survey, cpa_audit, staff_training, "
                                                     "governance, or a claim kind (meeting, consultation, …).")],
    title: Annotated[str, typer.Option("--title")],
    day: Annotated[str, typer.Option("--date", help="YYYY-MM-DD")],
    start: Annotated[str, typer.Option("--start", help="HH:MM")],
    end: Annotated[str, typer.Option("--end", help="HH:MM")],
    borough: Annotated[str, typer.Option("--borough")],
    by: ByOpt,
    service: Annotated[str | None, typer.Option("--service")] = None,
    action: Annotated[str | None, typer.Option("--action", help="The Action Plan action it counts towards.")] = None,
    level: Annotated[str | None, typer.Option("--level", help="governance: trust_board, committee, borough, "
                                                              "service.")] = None,
    programme: Annotated[str | None, typer.Option("--programme", help="staff_training: induction, student_nurse, "
                                                                      "cpa, change_agent, other.")] = None,
    forum: Annotated[str | None, typer.Option("--forum", help="forum_meeting: the forum (FRM-…).")] = None,
    invite: Annotated[list[str] | None, typer.Option("--invite", help="A register person's email (repeat).")] = None,
    as_json: JsonOpt = False,
) -> None:
    """Create an activity; the people invited get a written offer with Accept: and Decline: links."""
    from involve.services import activities

    data = activities.ActivityIn(kind=kind, title=title, day=parse_date(day, "--date"), start=start, end=end,
                                 borough=borough, service=service, action=action, level=level,
                                 programme=programme, forum=forum, invite=tuple(invite or ()))
    a = activities.create(data, by=by)
    if as_json:
        from involve.views.programme import activity

        print_json(activity(a.reference))
    else:
        out.print(a.reference)


@activity_app.command("show")
@command
def activity_show(reference: RefArg, as_json: JsonOpt = False) -> None:
    """An activity with who was invited, their answers and who attended."""
    from involve.views.programme import activity

    a = activity(reference)
    if as_json:
        print_json(a)
        return
    out.print(f"{a['reference']} {a['kind']}: {a['title']} on {a['date']} {a['start']}-{a['end']} ({a['borough']})",
              markup=False, highlight=False)
    for inv in a["invited"]:
        out.print(f"  {inv['email']}: {inv['status']}", markup=False, highlight=False)


@activity_app.command("attend")
@command
def activity_attend(reference: RefArg, person: Annotated[str, typer.Option("--person", help="Their email.")],
                    by: ByOpt, as_json: JsonOpt = False) -> None:
    """Record that an invited person attended: starts their claim, awaiting their confirmation."""
    from involve.services import activities

    claim = activities.attend(reference, person=person, by=by)
    print_json({"reference": reference.strip().upper(), "person": person, "claim": claim}) if as_json \
        else out.print(f"attendance recorded; claim {claim} awaits their confirmation")


@activity_app.command("output")
@command
def activity_output(reference: RefArg, text: Annotated[str, typer.Option("--text", help="The report, results "
                                                                                        "summary or findings.")],
                    by: ByOpt) -> None:
    """Record the output of a monitoring activity (ward-visit report, survey results, CPA-audit findings)."""
    from involve.services import activities

    a = activities.record_output(reference, text=text, by=by)
    out.print(f"output recorded for {a.reference}")
