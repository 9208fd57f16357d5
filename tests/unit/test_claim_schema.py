"""The canonical claim's validation: every rule names its field."""
from __future__ import annotations

import copy
import json
from datetime import date, timedelta
from pathlib import Path

import pytest

from involve.domain.claim_schema import parse_claim
from involve.errors import InvalidClaim

EXAMPLE = json.loads((Path(__file__).resolve().parents[2] / "involve" / "examples" / "claim.json").read_text())


def errors_for(mutate) -> set[str]:
    claim = copy.deepcopy(EXAMPLE)
    mutate(claim)
    with pytest.raises(InvalidClaim) as exc:
        parse_claim(claim)
    return {e["field"] for e in exc.value.errors}


def test_example_is_valid():
    c = parse_claim(copy.deepcopy(EXAMPLE))
    assert c.activity.minutes == 225 and c.claimant.email == "sam.okafor@example.org"


@pytest.mark.parametrize(("mutate", "field"), [
    (lambda c: c.update(colour="blue"), "colour"),
    (lambda c: c["activity"].update(colour="blue"), "activity.colour"),
    (lambda c: c["claimant"].pop("email"), "claimant.email"),
    (lambda c: c["claimant"].update(email="not-an-email"), "claimant.email"),
    (lambda c: c["activity"].update(kind="party"), "activity.kind"),
    (lambda c: c["activity"].update(borough="camden"), "activity.borough"),
    (lambda c: c["activity"].update(date=(date.today() + timedelta(days=1)).isoformat()), "activity.date"),
    (lambda c: c["activity"].update(date="2026-02-30"), "activity.date"),
    (lambda c: c["activity"].update(start="14:00", end="13:00"), "activity.end"),
    (lambda c: c["activity"].update(start="07:00", end="19:01"), "activity.end"),
    (lambda c: c["activity"].update(start="9:30"), "activity.start"),
    (lambda c: c["expenses"][0].update(amount=6.8), "expenses.0.amount"),
    (lambda c: c["expenses"][0].update(amount="0.00"), "expenses.0.amount"),
    (lambda c: c["expenses"][0].update(amount="500.01"), "expenses.0.amount"),
    (lambda c: c["expenses"][0].update(amount="6.805"), "expenses.0.amount"),
    (lambda c: c["expenses"][0].update(kind="champagne"), "expenses.0.kind"),
    (lambda c: c["expenses"][1].pop("miles"), "expenses.1.miles"),
    (lambda c: c["expenses"][1].update(vehicle="rocket"), "expenses.1.vehicle"),
    (lambda c: c["payment"].update(sort_code="123456"), "payment.sort_code"),
    (lambda c: c["payment"].update(account_number="1234567"), "payment.account_number"),
    (lambda c: c["payment"].pop("account_name"), "payment.account_name"),
    (lambda c: c.update(declaration=False), "declaration"),
    (lambda c: c["fee"].update(claimed="yes"), "fee.claimed"),
])
def test_rule_breaks_name_the_field(mutate, field):
    assert field in errors_for(mutate)


def test_several_errors_are_all_reported():
    fields = errors_for(lambda c: (c.update(declaration=False), c["activity"].update(borough="x")))
    assert {"declaration", "activity.borough"} <= fields


def test_expenses_only_needs_an_expense():
    assert "expenses" in errors_for(lambda c: (c["fee"].update(claimed=False), c.update(expenses=[])))


def test_a_prepared_claim_needs_no_declaration_until_the_person_confirms():
    claim = dict(copy.deepcopy(EXAMPLE), declaration=False)
    assert parse_claim(claim, prepared=True).declaration is False
    with pytest.raises(InvalidClaim) as exc:
        parse_claim(claim)
    assert [e["field"] for e in exc.value.errors] == ["declaration"]
    with pytest.raises(InvalidClaim):  # every other rule still holds
        parse_claim(dict(claim, fee={"claimed": "yes"}), prepared=True)
