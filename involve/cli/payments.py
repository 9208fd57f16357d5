"""`involve payments …`: payment runs (make, list, mark paid), failed payments, the bank's report,
and the finance check of a change of bank details."""
from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from involve.cli.common import ByOpt, JsonOpt, command, out, print_json, refuse

payments_app = typer.Typer(no_args_is_help=True, help="Payment runs, failed payments and reconciliation.")


@payments_app.command("run")
@command
def payments_run(by: ByOpt,
                 file_format: Annotated[str, typer.Option("--format", help="csv or bacs18 (Bacs Standard 18).")]
                 = "csv",
                 out_dir: Annotated[Path | None, typer.Option(
                     "--out", help="Folder for the file (default: var/payment-runs under INVOLVE_HOME).")] = None,
                 include_bank_details: Annotated[bool, typer.Option(
                     "--include-bank-details", help="CSV: full bank details (a Bacs file always has them).")] = False,
                 as_json: JsonOpt = False) -> None:
    """A payment run RUN-… of approved, unpaid claims with usable payment details; prints the file's path."""
    from involve.services.payment_runs import create_run
    from involve.settings import settings

    r = create_run(by=by, out_dir=out_dir or settings.payment_runs_dir, file_format=file_format,
                   include_bank_details=include_bank_details)
    if as_json:
        return print_json({"run": r.reference, "claims": r.claims, "total": f"{r.total:.2f}", "file": str(r.path),
                           "held": r.held})
    out.print(str(r.path), markup=False, highlight=False, soft_wrap=True)


@payments_app.command("runs")
@command
def payments_runs(as_json: JsonOpt = False) -> None:
    """Payment runs with their status (open, paid), counts and totals."""
    from involve.views.finance import runs

    rows = runs()
    if as_json:
        return print_json(rows)
    if not rows:
        out.print("no payment runs yet")
    for r in rows:
        out.print(f"{r['run']}  {r['status']:<5} {r['claims']:>4} claims  £{r['total']:>10}  {r['created_at'][:16]}"
                  f"  {r['file'] or ''}", markup=False, highlight=False)
        for f in r["failed"]:
            out.print(f"    returned: {f['reference']}: {f['reason']} ({f['recorded_at'][:16]}, {f['recorded_by']})",
                      markup=False, highlight=False)


@payments_app.command("mark-paid")
@command
def payments_mark_paid(run: Annotated[str, typer.Argument(help="The run, RUN-…")], by: ByOpt,
                       as_json: JsonOpt = False) -> None:
    """Every claim of the run → paid (one "paid" email each), in one transaction."""
    from involve.services.payment_runs import mark_paid

    r, paid = mark_paid(run, by=by)
    if as_json:
        return print_json({"run": r.reference, "status": r.status, "paid": paid})
    out.print(f"{r.reference} is paid: {len(paid)} claims marked paid", markup=False, highlight=False)


@payments_app.command("failed")
@command
def payments_failed(reference: Annotated[str, typer.Argument(help="The claim, CLM-…")], by: ByOpt,
                    reason: Annotated[str, typer.Option("--reason", help="Why the bank returned it.")],
                    as_json: JsonOpt = False) -> None:
    """A returned payment: the claim → payment_failed; the person is asked to check their details."""
    from involve.services.payment_returns import mark_failed

    c = mark_failed(reference, reason=reason, by=by)
    if as_json:
        return print_json({"reference": c.reference, "status": c.status, "reason": reason.strip()})
    out.print(f"{c.reference} is payment_failed; the person has been asked to check their payment details",
              markup=False, highlight=False)


@payments_app.command("ask-details")
@command
def payments_ask_details(reference: Annotated[str, typer.Argument(help="The claim, CLM-…")], by: ByOpt,
                         as_json: JsonOpt = False) -> None:
    """Email the person a fresh Payment details: link for a claim waiting for their bank details."""
    from involve.services.payment_details_asks import ask_now

    ref = ask_now(reference, by=by)
    if as_json:
        return print_json({"reference": ref, "asked": True})
    out.print(f"{ref}: the person has been emailed a new Payment details: link", markup=False, highlight=False)


@payments_app.command("reconcile")
@command
def payments_reconcile(file: Annotated[Path, typer.Argument(help="CSV: reference,status[,reason]")], by: ByOpt,
                       as_json: JsonOpt = False) -> None:
    """Apply the bank's report of paid and returned claims; report what did not match or was refused."""
    from involve.services.payment_returns import reconcile

    if not file.is_file():
        refuse(f"{file}: no such file")
    r = reconcile(file, by=by)
    if as_json:
        return print_json(r.as_json())
    for a in r.applied:
        out.print(f"applied   line {a['line']}: {a['reference']} {a['status']}", markup=False, highlight=False)
    for u in r.unmatched:
        out.print(f"unmatched line {u['line']}: {u['reference']} (no such claim)", markup=False, highlight=False)
    for x in r.refused:
        out.print(f"refused   line {x['line']}: {x['reference'] or '-'}: {x['reason']}", markup=False,
                  highlight=False)
    out.print(f"{len(r.applied)} applied, {len(r.unmatched)} unmatched, {len(r.refused)} refused",
              markup=False, highlight=False)


@payments_app.command("check-details")
@command
def payments_check_details(email: Annotated[str, typer.Option("--email", help="The person whose details changed.")],
                           by: ByOpt, as_json: JsonOpt = False) -> None:
    """Finance check of a change of bank details the person has confirmed: the new details become current."""
    from involve.services.payee_changes import check_change

    p = check_change(email, by=by)
    if as_json:
        return print_json({"email": p.email, "account": p.bank_details_masked, "checked_by": p.checked_by})
    out.print(f"{p.email}: new bank details ({p.bank_details_masked}) checked by {p.checked_by}",
              markup=False, highlight=False)
