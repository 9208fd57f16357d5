"""The `involve` command line (Typer + Rich).

Every command: --help; exit 0 on success; a refused action prints one line to stderr and exits 2;
--json prints machine-readable output. State-changing commands take --by EMAIL (checked against
that person's roles and written to the audit trail).
"""
from __future__ import annotations

import functools
import json
import sys
from datetime import date
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table
from sqlalchemy.exc import SQLAlchemyError

from involve.errors import InvolveError

app = typer.Typer(no_args_is_help=True, add_completion=False, help="Payment claims and involvement workflows.")
db_app = typer.Typer(no_args_is_help=True, help="Database schema.")
staff_app = typer.Typer(no_args_is_help=True, help="Staff and their roles.")
register_app = typer.Typer(no_args_is_help=True, help="The involvement register.")
claims_app = typer.Typer(no_args_is_help=True, help="Payment claims.")
payments_app = typer.Typer(no_args_is_help=True, help="Payment runs.")
audit_app = typer.Typer(no_args_is_help=True, help="The audit chain.")
for sub, name in ((db_app, "db"), (staff_app, "staff"), (register_app, "register"), (claims_app, "claims"),
                  (payments_app, "payments"), (audit_app, "audit")):
    app.add_typer(sub, name=name)

out = Console()
err = Console(stderr=True)

JsonOpt = Annotated[bool, typer.Option("--json", help="Print machine-readable JSON to stdout.")]
ByOpt = Annotated[str, typer.Option("--by", help="Email of the staff member acting.")]


def refuse(message: str) -> None:
    err.print(message, markup=False, highlight=False, soft_wrap=True)
    raise typer.Exit(2)


def command(fn):
    """Turn InvolveError (and bad settings) into one line on stderr and exit 2; migrate first."""

    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        try:
            from involve.migrate import ensure_current

            ensure_current()
            return fn(*args, **kwargs)
        except InvolveError as exc:
            refuse(str(exc))
        except OSError as exc:
            refuse(f"{exc.strerror or exc}: {getattr(exc, 'filename', '') or ''}".strip(": "))
        except SQLAlchemyError as exc:
            err.print(f"the database is not available ({type(exc).__name__}); nothing was changed",
                      markup=False, soft_wrap=True)
            raise typer.Exit(1) from None

    return wrapper


def print_json(data) -> None:
    sys.stdout.write(json.dumps(data, indent=2, default=str) + "\n")


def parse_money(value: str | None, what: str) -> Decimal | None:
    if value is None:
        return None
    try:
        amount = Decimal(value)
    except InvalidOperation:
        refuse(f"{what}: not an amount: {value!r} (use pounds, like 120.00)")
    if amount < 0 or amount != amount.quantize(Decimal("0.01")):
        refuse(f"{what}: must be pounds and pence, like 120.00")
    return amount


def parse_date(value: str, what: str) -> date:
    try:
        return date.fromisoformat(value)
    except ValueError:
        refuse(f"{what}: not a date: {value!r} (use YYYY-MM-DD)")


# ---- serve and db -------------------------------------------------------------------------------

@app.command()
def serve(host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
          port: Annotated[int, typer.Option(help="Port to listen on.")] = 8000) -> None:
    """Web app (webhooks, pages, API) plus the flow runner; migrates first."""
    from involve.serve import run

    try:
        run(host=host, port=port)
    except InvolveError as exc:
        refuse(str(exc))


@db_app.command("upgrade")
def db_upgrade() -> None:
    """Alembic migrations to head."""
    from involve.migrate import upgrade

    try:
        before, after = upgrade()
    except InvolveError as exc:
        refuse(str(exc))
    out.print(f"database at revision {after}" + ("" if before == after else f" (was {before or 'empty'})"))


# ---- staff and register -------------------------------------------------------------------------

@staff_app.command("add")
@command
def staff_add(email: Annotated[str, typer.Option("--email")], name: Annotated[str, typer.Option("--name")],
              role: Annotated[list[str], typer.Option("--role", help="coordinator, lead, finance, hr, ppi_lead")],
              by: Annotated[str | None, typer.Option("--by")] = None, as_json: JsonOpt = False) -> None:
    """Add a staff member (or add roles to one)."""
    from involve.db import unit_of_work
    from involve.services.people import add_staff

    with unit_of_work() as s:
        m = add_staff(s, email=email, name=name, roles=role, by=by)
        result = {"email": m.email, "name": m.name, "roles": m.roles}
    print_json(result) if as_json else out.print(f"staff {result['email']}: {', '.join(result['roles'])}")


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
                       conflicts=conflict or [], by=by, age_band=age_band, ethnic_group=ethnic_group, gender=gender,
                       disability=disability, learning_disability=learning_disability)
        result = {"id": p.id, "email": p.email, "name": p.name, "borough": p.borough,
                  "mapping_categories": sorted(categories_of(p))}  # involve/domain/diversity.py
    print_json(result) if as_json else out.print(f"registered {result['email']}")


# ---- claims --------------------------------------------------------------------------------------

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
        table.add_row(r["reference"], r["status"], r["activity_date"], r["activity_kind"],
                      r["total_amount"] or "-", ", ".join(r["flags"]))
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
                "expenses_amount", "total_amount", "flags", "bank_account"):
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


@payments_app.command("run")
@command
def payments_run(by: ByOpt, out_dir: Annotated[Path, typer.Option("--out")] = Path("var/payment-runs"),
                 include_bank_details: Annotated[bool, typer.Option(
                     "--include-bank-details", help="Write full bank details into the file (for BACS).")] = False,
                 as_json: JsonOpt = False) -> None:
    """Payment-run CSV of all approved, unpaid claims not in an earlier run."""
    from involve.services.claims import payment_run

    r = payment_run(by=by, out_dir=out_dir, include_bank_details=include_bank_details)
    data = {"run_id": r.run_id, "claims": r.count, "total": f"{r.total:.2f}", "file": str(r.path) if r.path else None}
    if as_json:
        return print_json(data)
    out.print(f"payment run {r.run_id}: {r.count} claims, £{r.total:.2f}, {r.path}" if r.path
              else "no approved claims are waiting for a payment run")


# ---- audit ---------------------------------------------------------------------------------------

@audit_app.command("verify")
@command
def audit_verify(as_json: JsonOpt = False) -> None:
    """Exit 0 with a count when the chain is intact; exit 1 naming the first broken record."""
    from involve import audit
    from involve.db import reader

    with reader() as s:
        r = audit.verify(s)
    if as_json:
        print_json({"ok": r.ok, "count": r.count, "head": r.head, "problem": r.problem, "bad_seq": r.bad_seq})
    elif r.ok:
        out.print(f"audit chain intact: {r.count} records, head {r.head}")
    else:
        err.print(f"audit chain broken: {r.problem}", markup=False)
    raise typer.Exit(0 if r.ok else 1)


@audit_app.command("export")
@command
def audit_export(out_file: Annotated[Path, typer.Option("--out")]) -> None:
    """The audit chain as JSON lines, ending with the chain head."""
    from involve import audit
    from involve.db import reader

    out_file.parent.mkdir(parents=True, exist_ok=True)
    n = 0
    with reader() as s, open(out_file, "w") as fh:
        for line in audit.export_lines(s):
            fh.write(line + "\n")
            n += 1
    out.print(f"wrote {n - 1} records and the chain head to {out_file}")


def main() -> None:  # pragma: no cover
    app()


# ---- getting started -----------------------------------------------------------------------------

@app.command("info")
def info() -> None:
    """Print the webhook secret, where things are, and one ready command that sends the example claim."""
    from involve.serve import check_settings
    from involve.settings import settings

    try:
        check_settings()
    except InvolveError as exc:
        refuse(str(exc))
    out.print(f"database:       {settings.database_url}", markup=False)
    out.print(f"webhook secret: {settings.resolved_webhook_secret}", markup=False)
    out.print(f"mail:           {settings.smtp_url or str(settings.mail_dir) + '/new (embedded sink)'}", markup=False)
    out.print("send the example claim (in another terminal, while this runs):", markup=False)
    out.print("  .venv/bin/involve send-example", markup=False)


@app.command("send-example")
def send_example(url: Annotated[str | None, typer.Option(help="Base URL of involve serve.")] = None,
                 claim_file: Annotated[Path | None, typer.Option("--file", help="A canonical claim JSON.")] = None
                 ) -> None:
    """Sign and POST a claim (default: the spec's example, dated today) to /webhooks/claims."""
    import base64
    import hashlib
    import hmac
    import secrets
    import time
    from datetime import date as _date

    import httpx

    from involve.settings import PROJECT_ROOT, settings

    data = json.loads((claim_file or PROJECT_ROOT / "involve" / "examples" / "claim.json").read_text())
    if claim_file is None:
        data["activity"]["date"] = _date.today().isoformat()
        data.pop("submission_id", None)
    body = json.dumps(data).encode()
    msg_id, ts = "msg_" + secrets.token_hex(8), int(time.time())
    key = base64.b64decode(settings.resolved_webhook_secret.removeprefix("whsec_"))
    sig = base64.b64encode(hmac.new(key, f"{msg_id}.{ts}.".encode() + body, hashlib.sha256).digest()).decode()
    r = httpx.post((url or settings.base_url).rstrip("/") + "/webhooks/claims", content=body, timeout=30,
                   headers={"content-type": "application/json", "webhook-id": msg_id,
                            "webhook-timestamp": str(ts), "webhook-signature": f"v1,{sig}"})
    out.print(f"{r.status_code} {r.text}", markup=False)
    if r.status_code >= 300:
        raise typer.Exit(2)


# ---- reports (involve/cli/report.py uses the helpers above, so it is imported last) ------------
from involve.cli.report import dev_app, report_app  # noqa: E402

app.add_typer(report_app, name="report")
app.add_typer(dev_app, name="dev")

# ---- recruitment involvement (involve/cli/recruitment.py; also adds `staff token`) ---------------
from involve.cli.recruitment import recruitment_app, training_app  # noqa: E402

app.add_typer(recruitment_app, name="recruitment")
app.add_typer(training_app, name="training")

# ---- data keys and retention (involve/cli/keys.py, involve/cli/retention.py) ---------------------
from involve.cli.keys import keys_app  # noqa: E402
from involve.cli.retention import retention_app  # noqa: E402

app.add_typer(keys_app, name="keys")
app.add_typer(retention_app, name="retention")
