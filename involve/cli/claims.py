"""`involve claims …`: list, show, approve, reject, pay, confirm and withdraw payment claims."""
from __future__ import annotations

from typing import Annotated

import typer
from rich.table import Table

from involve.cli.common import ByOpt, JsonOpt, command, err, out, parse_money, print_json, refuse, terminal_safe

claims_app = typer.Typer(no_args_is_help=True, help="Payment claims.")


def claim_json(c, history: list | None = None) -> dict:
    """The JSON shape of a claim (involve/views/claims.py), with its expense lines when `history` is given."""
    from involve.views.claims import claim_dict

    return claim_dict(c, expenses=history is not None, history=history)


@claims_app.command("list")
@command
def claims_list(status: Annotated[str | None, typer.Option("--status")] = None, as_json: JsonOpt = False) -> None:
    """List claims, newest first."""
    from involve.domain.transitions import STATUSES
    from involve.views.claims import all_claims

    if status and status not in STATUSES:
        refuse(f"--status: unknown status {status!r}; choose from {', '.join(STATUSES)}")
    rows = [claim_json(c) for c in all_claims(status or "")]
    if as_json:
        return print_json(rows)
    table = Table("reference", "status", "date", "kind", "total", "flags")
    for r in rows:
        table.add_row(*map(terminal_safe, (r["reference"], r["status"], r["activity_date"], r["activity_kind"],
                                           r["total_amount"] or "-", ", ".join(r["flags"]))))
    out.print(table)


@claims_app.command("show")
@command
def claims_show(reference: str, as_json: JsonOpt = False) -> None:
    """One claim with its amounts, flags and history."""
    from involve.views.claims import claim_with_history, history_dict

    c, records = claim_with_history(reference)
    history = [history_dict(r) for r in records]
    data = claim_json(c, history)
    if as_json:
        return print_json(data)
    for key in ("reference", "status", "claimant_name", "activity_title", "activity_date", "fee_amount",
                "expenses_amount", "total_amount", "flags", "bank_account", "hold_reason"):
        if key != "hold_reason" or data[key]:
            out.print(f"{key:>16}: {data[key]}", markup=False)
    for h in history:
        out.print(f"  {h['at'][:19]} {h['actor']}: {h['from_status']} -> {h['to_status']}"
                  + (f" ({h['reason']})" if h["reason"] else ""), markup=False)


@claims_app.command("approve")
@command
def claims_approve(references: Annotated[list[str], typer.Argument(help="One or more claim references.")],
                   by: ByOpt,
                   expenses_only: Annotated[bool, typer.Option("--expenses-only",
                                                               help="Pay expenses but not the fee.")] = False,
                   note: Annotated[str | None, typer.Option("--note")] = None,
                   amount: Annotated[str | None, typer.Option(
                       "--amount", help="Approve a lower total than claimed (needs --reason; one claim only).")] = None,
                   reason: Annotated[str | None, typer.Option(
                       "--reason", help="Why the amount is lower; sent to the claimant.")] = None,
                   as_json: JsonOpt = False) -> None:
    """Approve one or more claims (or give their second approval). Each is checked on its own: the
    others are still approved when one is refused (then exit 2), and each is reported. With --amount and
    --reason: approve one claim for a lower total than claimed; the person is told the amount and why."""
    from involve.errors import InvolveError
    from involve.services.claims import approve

    lower = parse_money(amount, "--amount")
    if lower is not None and not (reason or "").strip():
        refuse("--reason is required with --amount; it is sent to the claimant")
    if lower is not None and len(set(references)) > 1:
        refuse("--amount approves one claim at a time; give one reference")
    results, refused = [], 0
    for reference in dict.fromkeys(r.strip().upper() for r in references):
        try:
            c = approve(reference, by=by, expenses_only=expenses_only, note=note, amount=lower, reason=reason)
            results.append(dict(claim_json(c), approved=True))
            if not as_json:
                out.print(f"{c.reference} {c.status}", markup=False)
        except InvolveError as exc:
            refused += 1
            results.append({"reference": reference, "approved": False, "error": str(exc)})
            if not as_json:
                err.print(f"{reference} refused: {exc}", markup=False, highlight=False, soft_wrap=True)
    if as_json:
        print_json(results[0] if len(results) == 1 and not refused else results)
    if refused:
        if len(results) == 1 and as_json:
            err.print(results[0]["error"], markup=False, highlight=False, soft_wrap=True)
        raise typer.Exit(2)


@claims_app.command("reject")
@command
def claims_reject(reference: str, by: ByOpt, reason: Annotated[str, typer.Option("--reason")],
                  as_json: JsonOpt = False) -> None:
    """Reject a claim with a reason (sent to the claimant)."""
    from involve.services.claims import reject

    c = reject(reference, by=by, reason=reason)
    print_json(claim_json(c)) if as_json else out.print(f"{c.reference} {c.status}")


@claims_app.command("ask")
@command
def claims_ask(reference: str, by: ByOpt, question: Annotated[str, typer.Option("--question")],
               as_json: JsonOpt = False) -> None:
    """Ask the claimant a question: the claim waits (needs_information) until they reply by their link."""
    from involve.services.claim_questions import ask

    c = ask(reference, by=by, question=question)
    print_json(claim_json(c)) if as_json else out.print(f"{c.reference} {c.status}")


@claims_app.command("pay")
@command
def claims_pay(reference: str, by: ByOpt, payment_ref: Annotated[str | None, typer.Option("--payment-ref")] = None,
               as_json: JsonOpt = False) -> None:
    """Record the payment of an approved claim (once)."""
    from involve.services.claims import pay

    c = pay(reference, by=by, payment_ref=payment_ref)
    print_json(claim_json(c)) if as_json else out.print(f"{c.reference} {c.status}")


ExpenseOpt = Annotated[list[str] | None, typer.Option(
    "--expense", help="A cost the person told you about, KIND=AMOUNT (public_transport, taxi, parking, carer, "
                      "childcare, subsistence, support, other); repeat for more.")]


@claims_app.command("confirm")
@command
def claims_confirm(reference: str, by: ByOpt,
                   no_fee: Annotated[bool, typer.Option("--no-fee", help="The person declines the fee.")] = False,
                   expense: ExpenseOpt = None,
                   payment_method: Annotated[str | None, typer.Option(
                       "--payment-method", help="payroll or voucher (bank details only through their link).")] = None,
                   as_json: JsonOpt = False) -> None:
    """Confirm a claim awaiting the person's confirmation, for them, when they confirm by phone
    (role coordinator; the audit reason says "confirmed by phone"). It is then submitted."""
    from involve.services.activity_claims import confirm

    expenses = []
    for item in expense or []:
        kind, _, amount = item.partition("=")
        if not amount:
            refuse(f"--expense: {item!r} is not KIND=AMOUNT, like public_transport=4.50")
        expenses.append({"kind": kind.strip(), "amount": amount.strip().lstrip("£")})
    if payment_method not in (None, "payroll", "voucher"):
        refuse("--payment-method: choose payroll or voucher; bank details are given through the person's link")
    answers = {"fee": {"claimed": not no_fee}, "expenses": expenses, "declaration": True}
    if payment_method:
        answers["payment"] = {"method": payment_method}
    c = confirm(reference, answers, by=by)
    print_json(claim_json(c)) if as_json else out.print(f"{c.reference} {c.status}")


@claims_app.command("withdraw")
@command
def claims_withdraw(reference: str, by: ByOpt, as_json: JsonOpt = False) -> None:
    """Withdraw a claim awaiting the person's confirmation, when they say by phone that they do not
    want to claim (role coordinator)."""
    from involve.services.activity_claims import withdraw

    c = withdraw(reference, by=by)
    print_json(claim_json(c)) if as_json else out.print(f"{c.reference} {c.status}")


@claims_app.command("release")
@command
def claims_release(reference: str, by: ByOpt, as_json: JsonOpt = False) -> None:
    """Send a claim that was set aside (flag cannot_process) back to processing, once its cause is fixed."""
    from involve.services.claims import release

    c = release(reference, by=by)
    print_json(claim_json(c)) if as_json else out.print(f"{c.reference} {c.status} (released)")
