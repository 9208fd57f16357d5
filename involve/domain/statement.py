"""Payments statements: which tax year a payment is in, and how a payment splits into fee and
expenses. Pure.

A lower approved amount pays expenses first (they are refunds of what the person spent), then as
much of the fee as the amount allows; an expenses-only approval pays no fee. The two parts always add up to the payment.
"""
from __future__ import annotations

import re
from datetime import date
from decimal import Decimal

ZERO = Decimal("0.00")


def tax_year(label: str) -> tuple[date, date]:
    """"2026-27" -> (6 April 2026, 5 April 2027); ValueError for anything else."""
    m = re.fullmatch(r"(\d{4})-(\d{2})", (label or "").strip())
    if not m or (int(m.group(1)) + 1) % 100 != int(m.group(2)):
        raise ValueError(f"{label!r} is not a tax year like 2026-27")
    start = int(m.group(1))
    return date(start, 4, 6), date(start + 1, 4, 5)


def tax_year_of(day: date) -> str:
    start = day.year if day >= date(day.year, 4, 6) else day.year - 1
    return f"{start}-{(start + 1) % 100:02d}"


def split_payment(paid: Decimal, fee: Decimal | None, expenses: Decimal | None,
                  expenses_only: bool) -> tuple[Decimal, Decimal]:
    """(fee paid, expenses paid) of a payment of `paid`."""
    if expenses_only:
        return ZERO, paid
    expenses_paid = min(paid, expenses or ZERO)
    return paid - expenses_paid, expenses_paid
