"""Reading what finance works from: approved claims (ready to pay, or held and why), payment runs,
failed payments, changes of bank details waiting for a check, and payroll/budget figures."""
from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy import func, select

from involve.db import reader
from involve.errors import NotFound
from models import Claim, Payee, PaymentFailure, PaymentRun

ZERO = Decimal("0.00")


@dataclass(frozen=True)
class ToPay:
    claim: Claim
    amount: Decimal
    ready: bool
    why: str  # why it cannot go in a run yet ("" when ready)
    run: str | None  # the open run it is in
    asks: object = None  # waiting for its person's details: their `Payment details:` links (payment_details_asks.Asks)
    ask_limit: int = 0  # how many times the daily flow asks before telling the co-ordinators


FINANCE_PAGE = 200  # claims to pay shown at once, oldest first (a payment run still takes them all)


def approved_claims_and_runs(runs: int = 20, limit: int | None = None) -> tuple[list[ToPay], list[PaymentRun]]:
    """The oldest `limit` (default FINANCE_PAGE) claims to pay, and the recent runs."""
    from involve import clock, links
    from involve.services import payees as pay_details
    from involve.services.payment_details_asks import asks
    from involve.services.payment_runs import PAYABLE, PERSON_MUST_GIVE, bank_amount, usable_bank
    from involve.settings import settings

    with reader() as s:
        claims = list(s.execute(select(Claim).where(Claim.status.in_(PAYABLE)).order_by(Claim.id)
                                .limit(limit or FINANCE_PAGE)).scalars())
        found = pay_details.payees_by_email(s, {c.claimant_email for c in claims})
        run_refs = dict(s.execute(select(PaymentRun.id, PaymentRun.reference).where(
            PaymentRun.id.in_({c.payment_run_id for c in claims if c.payment_run_id}))).all())
        recent = list(s.execute(select(PaymentRun).order_by(PaymentRun.id.desc()).limit(runs)).scalars())
        checked = {c.reference: usable_bank(c, found.get(c.claimant_email)) for c in claims}
        issued = links.issued(s, action=pay_details.ASK_DETAILS, references=sorted(
            ref for ref, (bank, why) in checked.items() if bank is None and why in PERSON_MUST_GIVE))
    now, rows = clock.now(), []
    for c in claims:
        bank, why = checked[c.reference]
        person = bank is None and why in PERSON_MUST_GIVE
        rows.append(ToPay(c, bank_amount(c), bank is not None, why, run_refs.get(c.payment_run_id),
                          asks(issued.get(c.reference, []), now) if person else None,
                          max(1, settings.payment_details_asks)))
    return rows, recent


def payable_count() -> int:
    """How many claims wait for payment (ix_claims_status_id: the index alone)."""
    from involve.services.payment_runs import PAYABLE

    with reader() as s:
        return s.scalar(select(func.count()).select_from(Claim).where(Claim.status.in_(PAYABLE))) or 0


@dataclass(frozen=True)
class Failure:
    """A payment the bank returned: the claim, the bank's reason, the run it came back from."""
    reference: str
    claimant_name: str
    amount: Decimal | None
    reason: str
    run: str | None
    recorded_at: object  # datetime (UTC)
    recorded_by: str

    def as_json(self) -> dict:
        return {"reference": self.reference, "reason": self.reason, "run": self.run,
                "recorded_at": self.recorded_at.isoformat(), "recorded_by": self.recorded_by}


def _failures(s, where) -> list[Failure]:
    """Returned payments matching `where` (on PaymentFailure), oldest first."""
    rows = s.execute(select(PaymentFailure, Claim, PaymentRun.reference)
                     .join(Claim, Claim.id == PaymentFailure.claim_id)
                     .outerjoin(PaymentRun, PaymentRun.id == PaymentFailure.run_id)
                     .where(where).order_by(PaymentFailure.id)).all()
    return [Failure(c.reference, c.claimant_name, c.payable_amount, f.reason, run, f.recorded_at, f.recorded_by)
            for f, c, run in rows]


def failures_by_run(run_ids: list[int]) -> dict[str, list[Failure]]:
    """The payments each run had returned, by run reference."""
    if not run_ids:
        return {}
    with reader() as s:
        found = _failures(s, PaymentFailure.run_id.in_(run_ids))
    out: dict[str, list[Failure]] = {}
    for f in found:
        out.setdefault(f.run, []).append(f)
    return out


def last_failure(claim_id: int) -> Failure | None:
    """Why the claim's last payment failed (None if none ever did)."""
    with reader() as s:
        found = _failures(s, PaymentFailure.claim_id == claim_id)
    return found[-1] if found else None


def runs(limit: int = 200) -> list[dict]:
    with reader() as s:
        rows = list(s.execute(select(PaymentRun).order_by(PaymentRun.id.desc()).limit(limit)).scalars())
        unpaid = dict(s.execute(select(Claim.payment_run_id, func.count()).where(
            Claim.payment_run_id.in_([r.id for r in rows]), Claim.status != "paid")
            .group_by(Claim.payment_run_id)).all())
    failed = failures_by_run([r.id for r in rows])
    return [{"run": r.reference, "status": r.status, "format": r.file_format, "claims": r.claim_count,
             "count": r.claim_count,
             "total": f"{r.total:.2f}", "unpaid_claims": unpaid.get(r.id, 0),
             "failed": [f.as_json() for f in failed.get(r.reference, [])],
             "created_at": r.created_at.isoformat(), "created_by": r.created_by,
             "paid_at": r.paid_at.isoformat() if r.paid_at else None, "paid_by": r.paid_by, "file": r.file_name}
            for r in rows]


def run_detail(reference: str) -> tuple[PaymentRun, list[Claim], list[Failure]]:
    """A run, the claims still in it, and the payments of it the bank returned."""
    with reader() as s:
        run = s.execute(select(PaymentRun).where(PaymentRun.reference == reference.strip().upper())
                        ).scalar_one_or_none()
        if run is None:
            raise NotFound(f"no payment run {reference}")
        claims = list(s.execute(select(Claim).where(Claim.payment_run_id == run.id).order_by(Claim.id)).scalars())
        returned = _failures(s, PaymentFailure.run_id == run.id)
    return run, claims, returned


def payment_run_file_name(reference: str) -> str | None:
    with reader() as s:
        run = s.execute(select(PaymentRun).where(PaymentRun.reference == reference)).scalar_one_or_none()
    return run.file_name if run is not None else None


def failed_payments() -> list[tuple[Claim, Failure | None]]:
    """Claims whose payment failed and is not yet made again, each with why it failed last."""
    with reader() as s:
        claims = list(s.execute(select(Claim).where(Claim.status == "payment_failed").order_by(Claim.id)).scalars())
        last = {f.reference: f for f in _failures(s, PaymentFailure.claim_id.in_([c.id for c in claims]))} \
            if claims else {}
    return [(c, last.get(c.reference)) for c in claims]


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
