"""Amounts under the payments policy: table-driven cases plus Hypothesis properties."""
from __future__ import annotations

from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from involve.domain import amounts as amt
from involve.domain.policy import load_policy, parse_policy
from involve.errors import PolicyError

POLICY = load_policy(Path(__file__).resolve().parents[2] / "involve" / "default-policy.toml")
P2026 = POLICY.period_for(date(2026, 11, 18))
P2025 = POLICY.period_for(date(2025, 6, 1))
D = Decimal


def test_worked_example():
    result = amt.compute(kind="interview_panel", minutes=225, fee_claimed=True, period=P2026, lines=[
        amt.LineIn("public_transport", D("6.80")),
        amt.LineIn("mileage", miles=D("12.4"), passengers=1, vehicle="car"),
        amt.LineIn("carer", D("25.00"), receipt="carer-invoice.pdf")])
    assert (result.fee, result.lines, result.expenses, result.total) == (
        D("80.00"), (D("6.80"), D("6.20"), D("25.00")), D("38.00"), D("118.00"))


@pytest.mark.parametrize(("kind", "minutes", "claimed", "period", "fee"), [
    ("meeting", 60, True, P2026, "22.00"),          # 1 block of 3 h at 22.00
    ("meeting", 180, True, P2026, "22.00"),         # exactly one block
    ("meeting", 181, True, P2026, "44.00"),         # a minute over starts a second block
    ("meeting", 720, True, P2026, "66.00"),         # capped at 3 blocks a day
    ("meeting", 60, True, P2025, "20.00"),          # the earlier period's rate
    ("interview_panel", 210, True, P2026, "40.00"),  # kind override: 3.5 h blocks at 40.00
    ("interview_panel", 211, True, P2026, "80.00"),
    ("interview_panel", 225, True, P2025, "40.00"),  # no override before April 2026: 2 x 20.00
    ("consultation", 90, False, P2026, "0.00"),     # fee declined
])
def test_fee(kind, minutes, claimed, period, fee):
    assert amt.fee_amount(kind=kind, minutes=minutes, claimed=claimed, period=period) == D(fee)


@pytest.mark.parametrize(("miles", "passengers", "vehicle", "expected"), [
    ("12.4", 1, "car", "6.20"), ("10", 0, "car", "4.50"), ("10", 2, "car", "5.50"),
    ("3.3", 0, "bicycle", "0.66"), ("0.01", 0, "car", "0.00"), ("0.02", 0, "car", "0.01"),  # half-up
    ("1.1", 0, "car", "0.50"),  # 0.495 rounds half up
])
def test_mileage(miles, passengers, vehicle, expected):
    assert amt.mileage_amount(miles=D(miles), passengers=passengers, vehicle=vehicle, period=P2026) == D(expected)


def test_period_choice_is_latest_effective_on_or_before():
    assert POLICY.period_for(date(2026, 3, 31)).block_rate == D("20.00")
    assert POLICY.period_for(date(2026, 4, 1)).block_rate == D("22.00")
    with pytest.raises(PolicyError, match="no payments policy period"):
        POLICY.period_for(date(2020, 1, 1))


@pytest.mark.parametrize(("text", "message"), [
    ("periods = []", "periods"),
    ("[[periods]]\neffective_from = 2026-04-01\n", "block_hours"),
    ("not toml [", "not valid TOML"),
])
def test_bad_policy_is_refused(text, message):
    with pytest.raises(PolicyError, match=message):
        parse_policy(text)


@given(minutes=st.integers(min_value=1, max_value=720),
       hours=st.decimals(min_value=D("0.5"), max_value=D("8"), places=1), cap=st.integers(1, 6))
def test_blocks_cover_the_time_and_respect_the_cap(minutes, hours, cap):
    blocks = amt.fee_blocks(minutes, hours, cap)
    assert 1 <= blocks <= cap
    if blocks < cap:
        assert blocks * hours * 60 >= minutes > (blocks - 1) * hours * 60


@given(st.decimals(min_value=D("0"), max_value=D("10000"), places=4))
def test_rounding_is_half_up_to_the_penny(value):
    rounded = amt.to_pennies(value)
    assert rounded.as_tuple().exponent == -2
    assert abs(rounded - value) <= D("0.005")
    if (value * 1000) % 10 == 5 and (value * 10000) % 10 == 0:
        assert rounded > value  # exact halves go up


@given(st.lists(st.decimals(min_value=D("0.01"), max_value=D("500"), places=2), max_size=10))
def test_total_is_the_sum_of_lines(values):
    result = amt.compute(kind="meeting", minutes=60, fee_claimed=True, period=P2026,
                         lines=[amt.LineIn("other", v) for v in values])
    assert result.total == result.fee + sum(values, D("0.00"))
