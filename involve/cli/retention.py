"""`involve retention run`: anonymise personal data past its retention period (docs/retention.md)."""

from __future__ import annotations

from typing import Annotated

import typer

retention_app = typer.Typer(no_args_is_help=True, help="Retention of personal data (docs/retention.md).")


@retention_app.command("run")
def retention_run(
    by: Annotated[
        str, typer.Option("--by", help="Email of the staff member acting (coordinator or finance).")
    ],
    as_of: Annotated[
        str | None,
        typer.Option("--as-of", help="Apply the periods as on this date (YYYY-MM-DD; default today)."),
    ] = None,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Count what would be anonymised; change nothing.")
    ] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print machine-readable JSON.")] = False,
) -> None:
    """Anonymise claims whose financial year ended more than 7 years ago, and register people with
    no involvement for 3 years; the annual report's figures stay the same."""
    from involve.cli.common import command, out, parse_date, print_json
    from involve.services import retention

    @command
    def go() -> None:
        r = retention.run(by=by, as_of=parse_date(as_of, "--as-of") if as_of else None, dry_run=dry_run)
        data = {
            "as_of": r.as_of.isoformat(),
            "claims": r.claims,
            "people": r.people,
            "payment_run_files": r.files,
            "dry_run": dry_run,
            "claims_before": r.claim_cutoff.isoformat(),
            "people_last_involved_before": r.person_cutoff.isoformat(),
        }
        if as_json:
            print_json(data)
        else:
            verb = "would anonymise" if dry_run else "anonymised"
            out.print(
                f"{verb} {r.claims} claims (activity before {r.claim_cutoff}) and {r.people} register "
                f"entries (last involved before {r.person_cutoff}); "
                f"{'would delete' if dry_run else 'deleted'} {r.files} payment-run files"
            )

    go()
