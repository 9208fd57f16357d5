"""Reading what finance works from: approved claims (ready to pay, or held and why), payment runs,
failed payments, changes of bank details waiting for a check, and payroll/budget figures."""
from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy import func, select

from involve.db import reader
from involve.errors import NotFound
from models import Claim, Payee, PaymentRun

ZERO = Decimal("0.00")


@dataclass(frozen=True)
class ToPay:
    claim: Claim
    amount: Decimal
    ready: bool
    why: str  # why it cannot go in a run yet ("" when ready)
    run: str | None  # the open run it is in


FINANCE_PAGE = 200  # claims to pay shown at once, oldest first (a payment run still takes them all)


def approved_claims_and_runs(runs: int = 20, limit: int | None = None) -> tuple[list[ToPay], list[PaymentRun]]:
    """The oldest `limit` (default FINANCE_PAGE) claims to pay, and the recent runs."""
    from involve.services import payees as pay_details
    from involve.services.payment_runs import PAYABLE, bank_amount, usable_bank

    with reader() as s:
        claims = list(s.execute(select(Claim).where(Claim.status.in_(PAYABLE)).order_by(Claim.id)
                                .limit(limit or FINANCE_PAGE)).scalars())
        found = pay_details.payees_by_email(s, {c.claimant_email for c in claims})
        run_refs = dict(s.execute(select(PaymentRun.id, PaymentRun.reference).where(
            PaymentRun.id.in_({c.payment_run_id for c in claims if c.payment_run_id}))).all())
        recent = list(s.execute(select(PaymentRun).order_by(PaymentRun.id.desc()).limit(runs)).scalars())
    rows = []
    for c in claims:
        bank, why = usable_bank(c, found.get(c.claimant_email))
        rows.append(ToPay(c, bank_amount(c), bank is not None, why, run_refs.get(c.payment_run_id)))
    return rows, recent


def payable_count() -> int:
    """How many claims wait for payment (ix_claims_status_id: the index alone)."""
    from involve.services.payment_runs import PAYABLE

    with reader() as s:
        return s.scalar(select(func.count()).select_from(Claim).where(Claim.status.in_(PAYABLE))) or 0


def runs(limit: int = 200) -> list[dict]:
    with reader() as s:
        rows = list(s.execute(select(PaymentRun).order_by(PaymentRun.id.desc()).limit(limit)).scalars())
        unpaid = dict(s.execute(select(Claim.payment_run_id, func.count()).where(
            Claim.payment_run_id.in_([r.id for r in rows]), Claim.status != "paid")
            .group_by(Claim.payment_run_id)).all())
    return [{"run": r.reference, "status": r.status, "format": r.file_format, "claims": r.claim_count,
             "count": r.claim_count,
             "total": f"{r.total:.2f}", "unpaid_claims": unpaid.get(r.id, 0),
             "created_at": r.created_at.isoformat(), "created_by": r.created_by,
             "paid_at": r.paid_at.isoformat() if r.paid_at else None, "paid_by": r.paid_by, "file": r.file_name}
            for r in rows]


def run_detail(reference: str) -> tuple[PaymentRun, list[Claim]]:
    with reader() as s:
        run = s.execute(select(PaymentRun).where(PaymentRun.reference == reference.strip().upper())
                        ).scalar_one_or_none()
        if run is None:
            raise NotFound(f"no payment run {reference}")
        claims = list(s.execute(select(Claim).where(Claim.payment_run_id == run.id).order_by(Claim.id)).scalars())
    return run, claims


def payment_run_file_name(reference: str) -> str | None:
    with reader() as s:
        run = s.execute(select(PaymentRun).where(PaymentRun.reference == reference)).scalar_one_or_none()
    return run.file_name if run is not None else None


def failed_payments() -> list[Claim]:
    with reader() as s:
        return list(s.execute(select(Claim).where(Claim.status == "payment_failed").order_by(Claim.id)).scalars())


def bank_changes_waiting() -> list[Payee]:
    with reader() as s:
        return list(s.execute(select(Payee).where(Payee.pending_encrypted.is_not(None))
                              .order_by(Payee.pending_at)).scalars())


@dataclass(frozen=True)
class BudgetRow:
    cost_centre: str
    month: str  # YYYY-MM
    budget: Decimal
    committed: Decimal  # awaiting a decision (claimed total)
    approved: Decimal  # approved, not yet paid (payable amount)
    paid: Decimal  # paid (payable amount)


COMMITTED = ("awaiting_approval", "awaiting_second_approval", "needs_information")
APPROVED = ("approved", "payment_failed")


def budget_rows(year: int) -> list[BudgetRow]:
    """Every cost centre (the policy's, and any with a budget or spend) by month of the financial
    year: its share of the year's budget and the claims' spend by the month of the activity."""
    from sqlalchemy import case

    from involve.domain.budget import monthly_shares, months, year_bounds
    from involve.domain.policy import load_policy
    from models import Budget

    rules = load_policy().budget
    lo, hi = year_bounds(year)
    payable = case((Claim.expenses_only.is_(True), Claim.expenses_amount), else_=Claim.total_amount)
    with reader() as s:
        budgets = {b.cost_centre: b.amount for b in s.execute(select(Budget).where(Budget.year == year)).scalars()}
        spend = s.execute(select(Claim.cost_centre, Claim.service, Claim.activity_kind, Claim.activity_date,
                                 Claim.status, func.sum(Claim.total_amount), func.sum(payable))
                          .where(Claim.activity_date.between(lo, hi),
                                 Claim.status.in_((*COMMITTED, *APPROVED, "paid")))
                          .group_by(Claim.cost_centre, Claim.service, Claim.activity_kind, Claim.activity_date,
                                    Claim.status)).all()
    cells: dict[tuple[str, str], list[Decimal]] = {}
    for cc, service, kind, day, status, total, pay in spend:
        cc = cc or rules.cost_centre_for(service, kind)
        cell = cells.setdefault((cc, f"{day:%Y-%m}"), [ZERO, ZERO, ZERO])
        if status in COMMITTED:
            cell[0] += Decimal(total or 0)
        elif status in APPROVED:
            cell[1] += Decimal(pay or 0)
        else:
            cell[2] += Decimal(pay or 0)
    codes = list(dict.fromkeys([*rules.codes, *sorted(budgets), *sorted(cc for cc, _ in cells)]))
    rows = []
    for cc in codes:
        shares = monthly_shares(budgets[cc]) if cc in budgets else [ZERO] * 12
        for month, share in zip(months(year), shares, strict=True):
            c, a, p = (v.quantize(Decimal("0.01")) for v in cells.get((cc, month), [ZERO, ZERO, ZERO]))
            rows.append(BudgetRow(cc, month, share, c, a, p))
    return rows


def budgets_for(year: int) -> dict[str, Decimal]:
    from models import Budget

    with reader() as s:
        return {b.cost_centre: b.amount for b in s.execute(select(Budget).where(Budget.year == year)).scalars()}
