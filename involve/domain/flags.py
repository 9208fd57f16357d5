"""The claim flags. Pure: callers pass in what the rules look at.

Flags never block a claim; they tell the approver what to look at.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from involve.domain.policy import Period

FLAGS = ("late", "receipt_missing", "duplicate_suspected", "benefits_limit", "second_approval", "not_in_register",
         "cannot_process", "no_approver",
         *("bank_details_changed", "bank_details_invalid", "over_budget"))  # finance: set by processing
# set by processing, not by flags_for: `cannot_process` - the claim was set aside with a reason
# (Claim.hold_reason) and the rest of the batch went on; `no_approver` - nobody may approve it yet
SET_ASIDE, NO_APPROVER = "cannot_process", "no_approver"


@dataclass(frozen=True)
class FlagFacts:
    activity_date: date
    submitted_on: date
    claimed_lines: tuple[tuple[str, Decimal | None, str | None], ...]  # (kind, claimed amount, receipt)
    fee: Decimal
    total: Decimal
    in_register: bool
    overlaps_other_claim: bool
    weekly_limit: Decimal | None
    other_fees_that_week: Decimal


def flags_for(facts: FlagFacts, period: Period) -> list[str]:
    out: list[str] = []
    if (facts.submitted_on - facts.activity_date).days > period.claim_deadline_days:
        out.append("late")
    if any(kind != "mileage" and amount is not None and amount > period.receipt_required_over and not receipt
           for kind, amount, receipt in facts.claimed_lines):
        out.append("receipt_missing")
    if facts.overlaps_other_claim:
        out.append("duplicate_suspected")
    if facts.weekly_limit is not None and facts.fee > 0 and \
            facts.other_fees_that_week + facts.fee > facts.weekly_limit:
        out.append("benefits_limit")
    if facts.total > period.second_approval_over:
        out.append("second_approval")
    if not facts.in_register:
        out.append("not_in_register")
    return out


def times_overlap(a_start: str, a_end: str, b_start: str, b_end: str) -> bool:
    """HH:MM strings compare correctly as text."""
    return a_start < b_end and b_start < a_end
