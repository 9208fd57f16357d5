"""Budgets, pure: which cost centre a claim is charged to (mapped from its service or activity kind
in the policy file's `[budget]` table), financial years and their months, a year's budget shared
over its months, and whether a claim takes its cost centre over budget.

    [budget]
    default_cost_centre = "INV-GEN"          # claims no rule matches
    [[budget.cost_centres]]
    code = "INV-REC"
    name = "Recruitment involvement"
    services = ["Community Recovery Team"]   # matched first, ignoring case
    activity_kinds = ["interview_panel"]     # then by activity kind
"""
from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, model_validator

Code = Annotated[str, Field(min_length=1, max_length=40, pattern=r"^[A-Za-z0-9][A-Za-z0-9_.\-/]*$")]


class CostCentre(BaseModel):
    model_config = ConfigDict(extra="forbid")
    code: Code
    name: Annotated[str, Field(max_length=200)] = ""
    services: list[str] = []
    activity_kinds: list[str] = []


class BudgetRules(BaseModel):
    model_config = ConfigDict(extra="forbid")
    default_cost_centre: Code = "INVOLVEMENT"
    cost_centres: list[CostCentre] = []

    @model_validator(mode="after")
    def _unique(self):
        codes = [c.code for c in self.cost_centres]
        if len(set(codes)) != len(codes):
            raise ValueError("cost_centres: two cost centres have the same code")
        return self

    @property
    def codes(self) -> list[str]:
        codes = [c.code for c in self.cost_centres]
        return codes if self.default_cost_centre in codes else [*codes, self.default_cost_centre]

    def cost_centre_for(self, service: str | None, activity_kind: str) -> str:
        svc = (service or "").strip().casefold()
        if svc:
            for cc in self.cost_centres:
                if svc in (s.strip().casefold() for s in cc.services):
                    return cc.code
        for cc in self.cost_centres:
            if activity_kind in cc.activity_kinds:
                return cc.code
        return self.default_cost_centre


def financial_year(day: date) -> int:
    """The financial year (1 April YYYY - 31 March YYYY+1) holding `day`, by its starting year."""
    return day.year if day.month >= 4 else day.year - 1


def year_bounds(year: int) -> tuple[date, date]:
    return date(year, 4, 1), date(year + 1, 3, 31)


def months(year: int) -> list[str]:
    """'YYYY-MM' for April YYYY to March YYYY+1."""
    return [f"{year + (m < 4)}-{m:02d}" for m in (*range(4, 13), 1, 2, 3)]


def monthly_shares(amount: Decimal) -> list[Decimal]:
    """A year's budget over its 12 months, in pence; March takes the rounding so the shares add up."""
    share = (amount / 12).quantize(Decimal("0.01"), rounding="ROUND_DOWN")
    return [share] * 11 + [amount - share * 11]


def over_budget(budget: Decimal | None, spent_before: Decimal, claim_total: Decimal) -> bool:
    """True when this claim takes the year's spend past the budget (no budget set: never)."""
    return budget is not None and spent_before + claim_total > budget
