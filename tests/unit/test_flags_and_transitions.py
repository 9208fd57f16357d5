"""Flags and the claim transition table."""
from __future__ import annotations

from dataclasses import replace
from datetime import date, timedelta
from decimal import Decimal as D
from pathlib import Path

import pytest

from involve.domain.flags import FlagFacts, flags_for, times_overlap
from involve.domain.policy import load_policy
from involve.domain.transitions import STATUSES, TRANSITIONS, can, next_status
from involve.errors import AlreadyPaid, WrongState

PERIOD = load_policy(Path(__file__).resolve().parents[2] / "involve" / "default-policy.toml").period_for(
    date(2026, 11, 1))
BASE = FlagFacts(activity_date=date(2026, 11, 1), submitted_on=date(2026, 11, 2),
                 claimed_lines=(("carer", D("25.00"), "invoice.pdf"), ("mileage", None, None)),
                 fee=D("44.00"), total=D("100.00"), in_register=True, overlaps_other_claim=False,
                 weekly_limit=None, other_fees_that_week=D("0"))


@pytest.mark.parametrize(("change", "flag"), [
    ({"submitted_on": date(2026, 11, 1) + timedelta(days=91)}, "late"),
    ({"claimed_lines": (("taxi", D("5.01"), None),)}, "receipt_missing"),
    ({"overlaps_other_claim": True}, "duplicate_suspected"),
    ({"weekly_limit": D("50.00"), "other_fees_that_week": D("10.00")}, "benefits_limit"),
    ({"total": D("250.01")}, "second_approval"),
    ({"in_register": False}, "not_in_register"),
])
def test_each_flag(change, flag):
    assert flags_for(BASE, PERIOD) == []
    assert flags_for(replace(BASE, **change), PERIOD) == [flag]


@pytest.mark.parametrize("change", [
    {"submitted_on": date(2026, 11, 1) + timedelta(days=90)},      # on the deadline is not late
    {"claimed_lines": (("taxi", D("5.00"), None),)},               # at the limit needs no receipt
    {"claimed_lines": (("mileage", None, None),)},                 # mileage is computed
    {"weekly_limit": D("54.00"), "other_fees_that_week": D("10.00")},  # exactly at the limit
    {"weekly_limit": D("10.00"), "fee": D("0.00")},                # no fee claimed
    {"total": D("250.00")},
])
def test_boundaries_do_not_flag(change):
    assert flags_for(replace(BASE, **change), PERIOD) == []


@pytest.mark.parametrize(("a", "b", "overlap"), [
    (("09:00", "10:00"), ("09:30", "11:00"), True), (("09:00", "10:00"), ("10:00", "11:00"), False),
    (("09:00", "17:00"), ("12:00", "13:00"), True), (("13:00", "14:00"), ("09:00", "10:00"), False),
])
def test_overlap(a, b, overlap):
    assert times_overlap(*a, *b) is overlap


def test_the_happy_path_and_every_refusal():
    assert next_status("submit", None) == "submitted"
    assert next_status("process", "submitted") == "awaiting_approval"
    assert next_status("approve", "awaiting_approval") == "approved"
    assert next_status("pay", "approved") == "paid"
    with pytest.raises(AlreadyPaid):
        next_status("pay", "paid")
    statuses = {s for (_, s) in TRANSITIONS} | set(TRANSITIONS.values())
    for action in {a for (a, _) in TRANSITIONS}:
        for status in statuses:
            if not can(action, status):
                with pytest.raises(WrongState):
                    next_status(action, status)


def test_rejected_is_final_and_paid_leaves_only_by_a_returned_payment():
    assert not any(s == "rejected" for (_, s) in TRANSITIONS)
    assert [(a, t) for (a, s), t in TRANSITIONS.items() if s == "paid"] == [("fail", "payment_failed")]
    assert {s for (a, s), t in TRANSITIONS.items() if t == "paid"} == {"approved", "payment_failed"}
    assert next_status("fail", "approved") == "payment_failed" and next_status("pay", "payment_failed") == "paid"
    with pytest.raises(WrongState):
        next_status("fail", "awaiting_approval")


def test_a_claim_the_system_prepared_waits_for_the_person():
    assert next_status("prepare", None) == "awaiting_confirmation"
    assert next_status("confirm", "awaiting_confirmation") == "submitted"
    assert next_status("withdraw", "awaiting_confirmation") == "withdrawn"
    assert not can("process", "awaiting_confirmation")  # processing takes only what the person sent
    for action in ("approve", "first_approve", "reject", "pay"):
        assert not can(action, "awaiting_confirmation")
    assert not any(s == "withdrawn" for (_, s) in TRANSITIONS)  # withdrawn is final
    with pytest.raises(WrongState, match="CLM-1 is submitted; it cannot be confirmed now"):
        next_status("confirm", "submitted", reference="CLM-1")
    with pytest.raises(WrongState, match="cannot be withdrawn"):
        next_status("withdraw", "awaiting_approval", reference="CLM-1")
    assert set(STATUSES) == {s for (_, s) in TRANSITIONS if s} | set(TRANSITIONS.values())
