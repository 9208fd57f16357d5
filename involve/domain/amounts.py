"""Amounts under the payments policy: fee blocks, mileage, rounding. Pure functions, no I/O.

- fee: 0 when not claimed; else blocks = ceil(minutes / (block_hours*60)), capped at
  max_blocks_per_day; fee = blocks x block_rate.
- mileage: car miles x car_per_mile + miles x passengers x passenger_per_mile; bicycle
  miles x bicycle_per_mile.
- other expenses: as claimed. Each line is rounded half-up to the penny; totals are sums of lines.
"""
from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_CEILING, ROUND_HALF_UP, Decimal

from involve.domain.policy import Period

PENNY = Decimal("0.01")


def to_pennies(value: Decimal) -> Decimal:
    return value.quantize(PENNY, rounding=ROUND_HALF_UP)


def fee_blocks(minutes: int, block_hours: Decimal, max_blocks: int) -> int:
    if minutes <= 0:
        return 0
    blocks = (Decimal(minutes) / (block_hours * 60)).to_integral_value(rounding=ROUND_CEILING)
    return min(int(blocks), max_blocks)


def fee_amount(*, kind: str, minutes: int, claimed: bool, period: Period) -> Decimal:
    if not claimed:
        return Decimal("0.00")
    hours, rate = period.rates_for(kind)
    return to_pennies(fee_blocks(minutes, hours, period.max_blocks_per_day) * rate)


def mileage_amount(*, miles: Decimal, passengers: int, vehicle: str, period: Period) -> Decimal:
    if vehicle == "bicycle":
        return to_pennies(miles * period.bicycle_per_mile)
    return to_pennies(miles * period.car_per_mile + miles * passengers * period.passenger_per_mile)


@dataclass(frozen=True)
class LineIn:
    kind: str
    amount: Decimal | None = None
    miles: Decimal | None = None
    passengers: int = 0
    vehicle: str | None = None
    receipt: str | None = None


def line_amount(line: LineIn, period: Period) -> Decimal:
    if line.kind == "mileage":
        return mileage_amount(miles=line.miles or Decimal(0), passengers=line.passengers,
                              vehicle=line.vehicle or "car", period=period)
    return to_pennies(line.amount or Decimal(0))


@dataclass(frozen=True)
class Amounts:
    fee: Decimal
    lines: tuple[Decimal, ...]

    @property
    def expenses(self) -> Decimal:
        return sum(self.lines, Decimal("0.00"))

    @property
    def total(self) -> Decimal:
        return self.fee + self.expenses


def compute(*, kind: str, minutes: int, fee_claimed: bool, lines: list[LineIn], period: Period,
            fee_requested: Decimal | None = None) -> Amounts:
    """`fee_requested`: the person asked for a lower fee than the policy's (never a higher one)."""
    fee = fee_amount(kind=kind, minutes=minutes, claimed=fee_claimed, period=period)
    if fee_requested is not None and fee_claimed:
        fee = min(fee, to_pennies(fee_requested))
    return Amounts(fee=fee, lines=tuple(line_amount(line, period) for line in lines))
