"""The payroll export: involvement fees of claims paid through payroll, one row per person for a
month, for the trust's payroll (tax and National Insurance are payroll's to work out).

Fees only (the expenses of a payroll claim go by bank, in a payment run); each fee is exported once
(`payroll_lines.claim_id` is unique); a fee not exported in its own month (approved late) goes in
the next export. People without a valid National Insurance number are left out and named, so they
can be exported once it is known. Beside the file, `<name>-tax-year.csv` holds each person's
tax-year-to-date total (6 April to 5 April). A payroll claim with nothing to pay by bank is paid
by this export (payment reference `PAYROLL-YYYY-MM`).
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path

from sqlalchemy import func, select

from involve import audit, finance_files
from involve.db import unit_of_work
from involve.domain.approval import ClaimFacts, may
from involve.domain.bank import ni_number_valid, normalise_ni_number
from involve.domain.dates import london_today
from involve.errors import InvolveError
from involve.services import payees as pay_details
from involve.services.payment_runs import bank_amount, record_payment
from involve.services.people import actor, require_staff
from models import Claim, PayrollExport, PayrollLine

HEADER = ["ni_number", "payroll_reference", "name", "period", "gross_fee", "claims"]
YTD_HEADER = ["ni_number", "payroll_reference", "name", "tax_year", "gross_fee_to_date"]
EXPORTABLE = ("approved", "paid", "payment_failed")


@dataclass(frozen=True)
class PayrollResult:
    path: Path
    ytd_path: Path
    period: str
    people: int
    total: Decimal
    claims: list[str]
    held: list[str]  # claims left out: no valid NI number yet


def parse_period(period: str, today: date | None = None) -> tuple[date, date]:
    m = re.fullmatch(r"(\d{4})-(\d{2})", period or "")
    if not m or not 1 <= int(m.group(2)) <= 12:
        raise InvolveError(f"--period: not a month: {period!r} (use YYYY-MM)")
    y, mo = int(m.group(1)), int(m.group(2))
    today = today or london_today(datetime.now(UTC))  # the month as the trust's calendar has it
    if (y, mo) > (today.year, today.month):
        raise InvolveError(f"--period: {period} is in the future; payroll exports a month that has begun")
    following = date(y + (mo == 12), mo % 12 + 1, 1)
    return date(y, mo, 1), date.fromordinal(following.toordinal() - 1)


def tax_year_of(day: date) -> tuple[date, str]:
    start_year = day.year if (day.month, day.day) >= (4, 6) else day.year - 1
    return date(start_year, 4, 6), f"{start_year}-{str(start_year + 1)[2:]}"


def export(*, period: str, by: str, out: Path) -> PayrollResult:
    _, last = parse_period(period)
    out = Path(out)
    ytd_path = out.with_name(f"{out.stem}-tax-year.csv")
    with unit_of_work() as session:
        member = require_staff(session, by, "finance", doing="export fees to payroll")
        stmt = (select(Claim).where(Claim.payment_method == "payroll", Claim.status.in_(EXPORTABLE),
                                    Claim.expenses_only.is_(False), Claim.fee_amount > 0,
                                    Claim.activity_date <= last,
                                    ~select(PayrollLine.id).where(PayrollLine.claim_id == Claim.id).exists())
                .order_by(Claim.claimant_email, Claim.id))
        stmt = stmt.with_for_update(skip_locked=True)
        claims = list(session.execute(stmt).scalars())
        payees = pay_details.payees_by_email(session, {c.claimant_email for c in claims})
        people: dict[str, dict] = {}
        held: list[str] = []
        for c in claims:
            ids = pay_details.payroll_ids(payees.get(c.claimant_email), c)
            if not ni_number_valid(ids.get("ni_number")):
                held.append(c.reference)
                continue
            p = people.setdefault(c.claimant_email, {"ni": normalise_ni_number(ids["ni_number"]),
                                                      "ref": ids.get("payroll_reference", ""), "name": c.claimant_name,
                                                      "fee": Decimal("0.00"), "claims": []})
            p["fee"] += c.fee_amount
            p["claims"].append(c)
        if not people:
            more = f"; {len(held)} payroll claims wait for a valid NI number" if held else ""
            raise InvolveError(f"there are no payroll fees to export up to {period}{more}")
        total = sum((p["fee"] for p in people.values()), Decimal("0.00"))
        run = PayrollExport(period=period, created_by=member.email, file_name=out.name, people=len(people), total=total)
        session.add(run)
        session.flush()
        session.add_all([PayrollLine(export_id=run.id, claim_id=c.id, claimant_email=email, period=period,
                                     amount=c.fee_amount) for email, p in people.items() for c in p["claims"]])
        session.flush()
        ty_start, ty_label = tax_year_of(last)
        ytd = dict(session.execute(
            select(PayrollLine.claimant_email, func.sum(PayrollLine.amount)).join(
                PayrollExport, PayrollExport.id == PayrollLine.export_id)
            .where(PayrollLine.claimant_email.in_(people), PayrollLine.period >= f"{ty_start:%Y-%m}",
                   PayrollLine.period <= period).group_by(PayrollLine.claimant_email)).all())
        who = actor(session, member.email)
        paid_here = []
        for p in people.values():
            for c in p["claims"]:
                if c.status == "approved" and bank_amount(c) == 0 and may(who, "pay", ClaimFacts.of(c)):
                    record_payment(session, c, by=member.email, payment_ref=f"PAYROLL-{period}",
                                   dedupe=f"{c.reference}:paid:payroll-{period}")
                    paid_here.append(c.reference)
        refs = [c.reference for p in people.values() for c in p["claims"]]
        audit.record(session, [audit.Change("payroll_export", f"PAYROLL-{period}-{run.id}", "export", member.email,
                                            data={"claims": refs, "total": f"{total:.2f}", "people": len(people),
                                                  "paid": paid_here, "held": held})])
        finance_files.write_csv(out, HEADER, ([p["ni"], p["ref"], p["name"], period, f"{p['fee']:.2f}",
                                               " ".join(c.reference for c in p["claims"])] for p in people.values()))
        finance_files.write_csv(ytd_path, YTD_HEADER, (
            [p["ni"], p["ref"], p["name"], ty_label, f"{Decimal(ytd.get(email, 0)):.2f}"]
            for email, p in people.items()))
        return PayrollResult(out, ytd_path, period, len(people), total, refs, held)

