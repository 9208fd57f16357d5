"""Budgets by cost centre: setting a year's budget, and, while claims are processed, charging each
claim to its cost centre and flagging `over_budget` a claim that takes its cost centre past the
year's budget (for the approver to see; it never blocks the claim)."""
from __future__ import annotations

from collections import defaultdict
from decimal import Decimal

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from involve import audit
from involve.db import unit_of_work
from involve.domain.budget import financial_year, over_budget, year_bounds
from involve.domain.policy import Policy, load_policy
from involve.errors import InvolveError
from involve.services.people import require_staff
from models import Budget, Claim

NOT_SPENDING = ("submitted", "rejected", "withdrawn", "awaiting_confirmation")
BUDGET_ROLES = ("finance", "ppi_lead")


def set_budget(*, cost_centre: str, year: int, amount: Decimal, by: str, policy: Policy | None = None) -> Budget:
    rules = (policy or load_policy()).budget
    if cost_centre not in rules.codes:
        raise InvolveError(f"unknown cost centre {cost_centre!r}: the policy file has {', '.join(rules.codes)}")
    if not 2000 <= year <= 2100:
        raise InvolveError(f"--year: {year} is not a plausible financial year (use the starting year, like 2026)")
    if amount < 0 or amount != amount.quantize(Decimal("0.01")):
        raise InvolveError("--amount: must be pounds and pence, 0 or more, like 12000.00")
    with unit_of_work() as session:
        member = require_staff(session, by, *BUDGET_ROLES, doing="set budgets")
        row = session.execute(select(Budget).where(Budget.cost_centre == cost_centre, Budget.year == year)
                              ).scalar_one_or_none()
        before = None if row is None else f"{row.amount:.2f}"
        if row is None:
            row = Budget(cost_centre=cost_centre, year=year, amount=amount, set_by=member.email)
            session.add(row)
        else:
            row.amount, row.set_by = amount, member.email
        session.flush()
        audit.record(session, [audit.Change("budget", f"{cost_centre}/{year}", "set", member.email,
                                            data={"amount": f"{amount:.2f}", "before": before})])
        return row


class BudgetCharger:
    """During processing: each claim's cost centre, and whether it takes that cost centre past the
    year's budget. Reads the batch's budgets and spend once; claims of the batch count in the order
    they are charged, so the claim that crosses the line is the one flagged."""

    def __init__(self, session: Session, batch: list, policy: Policy) -> None:
        self.rules = policy.budget
        keys = {(self.rules.cost_centre_for(c.service, c.activity_kind), financial_year(c.activity_date))
                for c in batch}
        self.budgets = {(b.cost_centre, b.year): b.amount for b in session.execute(
            select(Budget.cost_centre, Budget.year, Budget.amount).where(
                Budget.cost_centre.in_({k[0] for k in keys}), Budget.year.in_({k[1] for k in keys})))} if keys else {}
        self.spent: dict[tuple[str, int], Decimal] = defaultdict(lambda: Decimal("0.00"))
        ids = [c.id for c in batch]
        for key in keys & self.budgets.keys():
            lo, hi = year_bounds(key[1])
            total = session.execute(select(func.coalesce(func.sum(Claim.total_amount), 0)).where(
                Claim.cost_centre == key[0], Claim.activity_date.between(lo, hi),
                Claim.status.not_in(NOT_SPENDING), Claim.id.not_in(ids))).scalar_one()
            self.spent[key] = Decimal(total).quantize(Decimal("0.01"))

    def charge(self, c, total: Decimal) -> tuple[str, bool]:
        """(the claim's cost centre, whether it takes it over budget); counts the claim as spent."""
        key = (self.rules.cost_centre_for(c.service, c.activity_kind), financial_year(c.activity_date))
        over = over_budget(self.budgets.get(key), self.spent[key], total)
        self.spent[key] += total
        return key[0], over
