"""`involve recruitment …`, `involve training …` and `involve staff token`: recruitment involvement
from the command line (recruitment.md). HR or a co-ordinator acts (`--by`); refusals print one
line and exit 2; `--json` prints machine-readable output."""
from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from involve.cli.common import ByOpt, JsonOpt, command, out, parse_date, print_json, refuse

recruitment_app = typer.Typer(no_args_is_help=True, help="Service-user involvement in staff recruitment.")
training_app = typer.Typer(no_args_is_help=True, help="Interview-panel training sessions.")
Ref = Annotated[str, typer.Argument(help="The recruitment reference, REC-YYYY-NNNN.")]


def _text(text: str | None, file: Path | None, what: str) -> str | None:
    if text is not None and file is not None:
        refuse(f"give {what} as text or as a file, not both")
    return file.read_text() if file is not None else text


@recruitment_app.command("start")
@command
def start(title: Annotated[str, typer.Option("--title")],
          staff_group: Annotated[str, typer.Option("--staff-group")],
          borough: Annotated[str, typer.Option("--borough")],
          interview_date: Annotated[str, typer.Option("--interview-date", help="YYYY-MM-DD")], by: ByOpt,
          panel_size: Annotated[int, typer.Option("--panel-size", help="1-4 service users.")] = 2,
          service: Annotated[str | None, typer.Option("--service", help="The team or service.")] = None,
          job_description: Annotated[str | None, typer.Option("--job-description")] = None,
          job_description_file: Annotated[Path | None, typer.Option("--job-description-file")] = None,
          decision_rule: Annotated[str | None, typer.Option("--decision-rule")] = None,
          start_time: Annotated[str, typer.Option("--start", help="Interviews start HH:MM.")] = "09:30",
          end_time: Annotated[str, typer.Option("--end", help="Interviews end HH:MM.")] = "13:00",
          as_json: JsonOpt = False) -> None:
    """Start a recruitment for a vacancy; answers with its REC-… reference."""
    from involve import clock
    from involve.domain.dates import london_today
    from involve.domain.recruitment_schema import parse_recruitment
    from involve.services import recruitment
    from involve.views.recruitment import describe

    data = parse_recruitment({
        "title": title, "staff_group": staff_group, "borough": borough, "service": service,
        "interview_date": interview_date, "panel_size": panel_size, "interview_start": start_time,
        "interview_end": end_time, "job_description": _text(job_description, job_description_file,
                                                             "the job description"),
        "decision_rule": decision_rule}, today=london_today(clock.now()))
    rec = recruitment.start(data, by=by)
    print_json(describe(rec.reference)) if as_json else out.print(rec.reference, markup=False)


@recruitment_app.command("show")
@command
def show(reference: Ref, as_json: JsonOpt = False) -> None:
    """A recruitment: its panel (with training), who was invited, comments, questions, scores."""
    from involve.views.recruitment import describe

    data = describe(reference)
    if as_json:
        return print_json(data)
    for key in ("reference", "status", "title", "staff_group", "borough", "interview_date", "panel_size",
                "decision_rule", "outcome"):
        out.print(f"{key:>15}: {data[key]}", markup=False)
    for m in data["panel"]:
        out.print(f"  {m['email']}: {m['status']}, trained until {m['trained_until'] or '-'}, "
                  f"training session {m['training_session'] or '-'}", markup=False)


@recruitment_app.command("list")
@command
def list_(status: Annotated[str | None, typer.Option("--status", help="open or closed")] = None,
          as_json: JsonOpt = False) -> None:
    """Recruitments, newest first."""
    from involve.views.recruitment import list_recruitments

    rows = list_recruitments(status)
    if as_json:
        return print_json(rows)
    for r in rows:
        out.print(f"{r['reference']}  {r['status']:<7} {r['interview_date']}  {r['title']}", markup=False)


@recruitment_app.command("attend")
@command
def attend(reference: Ref, member: Annotated[str, typer.Option("--member", help="The panel member's email.")],
           by: ByOpt, as_json: JsonOpt = False) -> None:
    """Record attendance on the interview day; creates the member's interview_panel claim."""
    from involve.services import recruitment

    m, claim = recruitment.attend(reference, member=member, by=by)
    data = {"reference": reference.strip().upper(), "member": member.strip().lower(), "status": m.status,
            "claim_reference": claim}
    print_json(data) if as_json else out.print(f"{data['member']} attended; claim {claim}", markup=False)


@recruitment_app.command("comment")
@command
def comment(reference: Ref, comment_id: Annotated[int, typer.Argument(help="The comment's id (see show).")],
            decision: Annotated[bool, typer.Option("--accept/--decline", help="Accept or decline it.")],
            reason: Annotated[str, typer.Option("--reason")], by: ByOpt, as_json: JsonOpt = False) -> None:
    """Accept or decline a panel member's job-description comment, with a reason."""
    from involve.services import recruitment_hr

    c = recruitment_hr.decide_comment(reference, comment_id, accept=decision, reason=reason, by=by)
    print_json({"id": c.id, "status": c.status, "reason": c.reason}) if as_json else \
        out.print(f"comment {c.id} {c.status}", markup=False)


@recruitment_app.command("jd-draft")
@command
def jd_draft(reference: Ref, by: ByOpt, text: Annotated[str | None, typer.Option("--text")] = None,
             file: Annotated[Path | None, typer.Option("--file")] = None) -> None:
    """Give or replace the draft job description (sent to accepted members who have not had it)."""
    from involve.services import recruitment_hr

    recruitment_hr.set_draft(reference, _text(text, file, "the job description") or "", by=by)
    out.print(f"{reference.strip().upper()}: draft job description saved", markup=False)


@recruitment_app.command("jd-final")
@command
def jd_final(reference: Ref, by: ByOpt, text: Annotated[str | None, typer.Option("--text")] = None,
             file: Annotated[Path | None, typer.Option("--file")] = None,
             comment_ids: Annotated[list[int] | None, typer.Option(
                 "--comment", help="A comment that shaped it (repeat; default: every accepted one).")] = None,
             as_json: JsonOpt = False) -> None:
    """Record the final job description and the comments that shaped it."""
    from involve.services import recruitment_hr

    used = recruitment_hr.finalise_jd(reference, _text(text, file, "the job description") or "",
                                      comment_ids=comment_ids or None, by=by)
    print_json({"reference": reference.strip().upper(), "comments": used}) if as_json else \
        out.print(f"final job description saved; shaped by comments {used or 'none'}", markup=False)


@recruitment_app.command("question-add")
@command
def question_add(reference: Ref, text: Annotated[str, typer.Option("--text")], by: ByOpt,
                 as_json: JsonOpt = False) -> None:
    """Add a question to the bank of the recruitment's staff group."""
    from involve.services import recruitment_hr

    q = recruitment_hr.add_question(reference, text, by=by)
    print_json({"id": q.id, "staff_group": q.staff_group}) if as_json else out.print(str(q.id))


@recruitment_app.command("question-used")
@command
def question_used(reference: Ref, question: Annotated[list[int], typer.Option("--question", help="Repeat.")],
                  by: ByOpt) -> None:
    """Mark bank questions as used in this recruitment's interviews."""
    from involve.services import recruitment_hr

    for q in question:
        recruitment_hr.mark_used(reference, q, by=by)
    out.print(f"marked used: {', '.join(map(str, question))}", markup=False)


@recruitment_app.command("score")
@command
def score(reference: Ref, member: Annotated[str, typer.Option("--member")],
          candidate: Annotated[str, typer.Option("--candidate", help="A label, e.g. candidate A.")],
          question: Annotated[int, typer.Option("--question")],
          value: Annotated[int, typer.Option("--score")],
          by: ByOpt, comment_text: Annotated[str | None, typer.Option("--comment")] = None) -> None:
    """Record a panel member's 1-5 score for a candidate on a values question (used in this recruitment)."""
    from involve.services import recruitment_hr

    recruitment_hr.record_score(reference, member=member, candidate=candidate, question_id=question,
                                score=value,
                                comment=comment_text, by=by)
    out.print("score recorded")


@recruitment_app.command("close")
@command
def close(reference: Ref, outcome: Annotated[str, typer.Option("--outcome")], by: ByOpt,
          panel_view: Annotated[str | None, typer.Option(
              "--panel-view", help="How the service-user view was combined under the decision rule.")] = None,
          as_json: JsonOpt = False) -> None:
    """Record the outcome and close the recruitment."""
    from involve.services import recruitment
    from involve.views.recruitment import describe

    rec = recruitment.close(reference, outcome=outcome, panel_view=panel_view, by=by)
    print_json(describe(rec.reference)) if as_json else out.print(f"{rec.reference} closed", markup=False)


@recruitment_app.command("check")
@command
def check(everything: Annotated[bool, typer.Option("--all", help="Every open one.")] = False,
          as_json: JsonOpt = False) -> None:
    """Run the recruitment flow's step once, now (what `serve` does whenever something is due)."""
    from involve.services.recruitment_panel import advance_due

    done = advance_due(everything=everything)
    summary = ", ".join(f"{k} {v}" for k, v in sorted(done.items())) or "nothing due"
    print_json(done) if as_json else out.print(summary)


@training_app.command("add")
@command
def training_add(day: Annotated[str, typer.Option("--date")],
                 start_time: Annotated[str, typer.Option("--start")],
                 end_time: Annotated[str, typer.Option("--end")],
                 capacity: Annotated[int, typer.Option("--capacity")],
                 by: ByOpt, title: Annotated[str | None, typer.Option("--title")] = None,
                 as_json: JsonOpt = False) -> None:
    """Add a panel-training session; answers with its id."""
    from involve.services import training

    ts = training.add_session(day=parse_date(day, "--date"), start=start_time, end=end_time,
                              capacity=capacity,
                              by=by, title=title)
    data = {"id": ts.id, "date": ts.date.isoformat(), "start": ts.start, "end": ts.end,
            "capacity": ts.capacity}
    print_json(data) if as_json else out.print(str(ts.id))


@training_app.command("list")
@command
def training_list(as_json: JsonOpt = False) -> None:
    """Training sessions with their bookings."""
    from involve.services import training

    rows = training.list_sessions()
    if as_json:
        return print_json(rows)
    for r in rows:
        out.print(f"{r['id']:>4}  {r['date']} {r['start']}-{r['end']}  "
                  f"{r['booked']}/{r['capacity']}  {r['title']}", markup=False)


@training_app.command("attend")
@command
def training_attend(session_id: Annotated[int, typer.Argument(help="The session id.")],
                    member: Annotated[str, typer.Option("--member")], by: ByOpt,
                    as_json: JsonOpt = False) -> None:
    """Record attendance at a session: trained from that day, and a training_received claim."""
    from involve.services import training

    booking, claim = training.attend(session_id, member=member, by=by)
    data = {"session": session_id, "member": member.strip().lower(), "status": booking.status,
            "claim_reference": claim}
    print_json(data) if as_json else out.print(f"{data['member']} attended; claim {claim}", markup=False)
