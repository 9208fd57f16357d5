"""What a claim form's answers come to under the payments policy, for the check-answers page: the fee,
each cost (mileage as its value), and the total. The approver may still change it; this is what the
person declares."""
from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from involve.domain import amounts as amt
from involve.domain.claim_schema import parse_claim
from involve.domain.policy import load_policy
from involve.errors import InvolveError


@dataclass(frozen=True)
class Estimate:
    fee: Decimal
    lines: list[Decimal]   # in the order of the claim's expense lines
    total: Decimal


def estimate(payload: dict) -> Estimate | None:
    """None while the answers are incomplete or break a rule (the page then shows what was typed)."""
    try:
        claim = parse_claim(dict(payload, declaration=True))
        period = load_policy().period_for(claim.activity.date)
    except (InvolveError, ValueError):
        return None
    lines = [amt.LineIn(e.kind, e.amount, e.miles, e.passengers, e.vehicle, e.receipt) for e in claim.expenses]
    result = amt.compute(kind=claim.activity.kind, minutes=claim.activity.minutes, fee_claimed=claim.fee.claimed,
                         period=period, fee_requested=claim.fee.requested_amount, lines=lines)
    fee = result.fee
    return Estimate(fee, list(result.lines), fee + result.expenses)


def pounds(value: Decimal | str | None) -> str:
    """£6.80 — never ££, never £4.5."""
    if value is None or value == "":
        return ""
    try:
        return f"£{Decimal(str(value).replace('£', '').replace(',', '').strip()):,.2f}"
    except ArithmeticError:
        return str(value)
