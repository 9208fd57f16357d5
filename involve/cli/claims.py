"""`involve claims …`: list, show, approve, reject, pay, confirm and withdraw payment claims."""
from __future__ import annotations

from typing import Annotated

import typer
from rich.table import Table

from involve.cli.common import ByOpt, JsonOpt, command, out, print_json, refuse, terminal_safe

claims_app = typer.Typer(no_args_is_help=True, help="Payment claims.")


def claim_json(c, history: list | None = None) -> dict:
    money = lambda v: None if v is None else f"{v:.2f}"  # noqa: E731
    data = {
        "reference": c.reference, "status": c.status, "claimant_name": c.claimant_name,
        "claimant_email": c.claimant_email, "activity_kind": c.activity_kind, "activity_title": c.activity_title,
        "activity_date": c.activity_date.isoformat(), "activity_start": c.activity_start,
        "activity_end": c.activity_end, "borough": c.borough, "service": c.service, "lead_email": c.lead_email,
        "activity_reference": c.activity_reference, "fee_claimed": c.fee_claimed,
        "fee_amount": money(c.fee_amount), "expenses_amount": money(c.expenses_amount),
        "total_amount": money(c.total_amount), "payable_amount": money(c.payable_amount),
        "expenses_only": c.expenses_only, "flags": list(c.flags or []), "approver_email": c.approver_email,
        "approved_by": c.approved_by, "second_approved_by": c.second_approved_by,
        "rejection_reason": c.rejection_reason, "payment_method": c.payment_method,
        "bank_account": c.bank_details_masked, "submitted_at": c.submitted_at.isoformat(),
        "paid_at": c.paid_at.isoformat() if c.paid_at else None,
        "hold_reason": c.hold_reason, "keyed_by": c.keyed_by,
    }
    if history is not None:
        data["expenses"] = [{"kind": e.kind, "claimed_amount": money(e.claimed_amount),
                             "miles": None if e.miles is None else str(e.miles), "passengers": e.passengers,
                             "vehicle": e.vehicle, "receipt": e.receipt, "amount": money(e.amount)}
                            for e in c.expenses]
        data["history"] = history
    return data


@claims_app.command("list")
@command
def claims_list(status: Annotated[str | None, typer.Option("--status")] = None, as_json: JsonOpt = False) -> None:
    """List claims, newest first."""
    from sqlalchemy import select

    from involve.db import reader
    from involve.domain.transitions import STATUSES
    from models import Claim

    if status and status not in STATUSES:
        refuse(f"--status: unknown status {status!r}; choose from {', '.join(STATUSES)}")
    with reader() as s:
        stmt = select(Claim).order_by(Claim.id.desc())
        if status:
            stmt = stmt.where(Claim.status == status)
        rows = [claim_json(c) for c in s.execute(stmt).scalars()]
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
    from sqlalchemy import select
    from sqlalchemy.orm import selectinload

    from involve.db import reader
    from involve.errors import NotFound
    from models import AuditRecord, Claim

    with reader() as s:
        c = s.execute(select(Claim).options(selectinload(Claim.expenses))
                      .where(Claim.reference == reference.strip().upper())).scalar_one_or_none()
        if c is None:
            raise NotFound(f"no claim with reference {reference}")
        history = [{"at": r.at.isoformat(), "actor": r.actor, "from_status": r.from_status,
                    "to_status": r.to_status, "reason": r.reason, "action": r.action}
                   for r in s.execute(select(AuditRecord).where(AuditRecord.entity == "claim",
                                                                AuditRecord.reference == c.reference)
                                      .order_by(AuditRecord.seq)).scalars()]
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
def claims_approve(reference: str, by: ByOpt,
                   expenses_only: Annotated[bool, typer.Option("--expenses-only",
                                                               help="Pay expenses but not the fee.")] = False,
                   note: Annotated[str | None, typer.Option("--note")] = None, as_json: JsonOpt = False) -> None:
    """Approve a claim (or give its second approval)."""
    from involve.services.claims import approve

    c = approve(reference, by=by, expenses_only=expenses_only, note=note)
    print_json(claim_json(c)) if as_json else out.print(f"{c.reference} {c.status}")


@claims_app.command("reject")
@command
def claims_reject(reference: str, by: ByOpt, reason: Annotated[str, typer.Option("--reason")],
                  as_json: JsonOpt = False) -> None:
    """Reject a claim with a reason (sent to the claimant)."""
    from involve.services.claims import reject

    c = reject(reference, by=by, reason=reason)
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
    from involve.services import processing

    c = processing.release(reference, by=by)
    print_json(claim_json(c)) if as_json else out.print(f"{c.reference} {c.status} (released)")
