"""A lead opens only the claims that are theirs (issue 18: "a lead can open any claim page by
reference"): the claim page answers 404, as for no such claim, to staff who may not see the claim;
the rule is `involve.domain.approval.may_view`, tested here as data and through the page."""
from __future__ import annotations

import copy

import pytest
from fastapi.testclient import TestClient

from involve.db import unit_of_work
from involve.domain.approval import Actor, ClaimFacts, may_view
from involve.services import processing
from involve.services.people import add_staff
from involve.web.app import create_app
from tests.integration.test_lifecycle import submit
from tests.staff_sign_in import sign_in

CLAIM = ClaimFacts("CLM-1", "awaiting_approval", "sam@example.org", lead_email="lead@nhs.uk",
                   approver_email="lead@nhs.uk")


@pytest.mark.parametrize(("roles", "email", "claim", "seen"), [
    ({"coordinator"}, "co@nhs.uk", CLAIM, True),
    ({"ppi_lead"}, "ppi@nhs.uk", CLAIM, True),
    ({"lead"}, "lead@nhs.uk", CLAIM, True),                      # routed to them
    ({"lead"}, "other@nhs.uk", CLAIM, False),                    # someone else's claim
    ({"lead"}, "first@nhs.uk", ClaimFacts("CLM-1", "paid", "sam@example.org", approved_by="first@nhs.uk"), True),
    ({"finance"}, "fin@nhs.uk", CLAIM, False),                   # not at the payment stage yet
    ({"finance"}, "fin@nhs.uk", ClaimFacts("CLM-1", "approved", "sam@example.org"), True),
    ({"hr"}, "hr@nhs.uk", CLAIM, False),
])
def test_who_may_see_a_claim(roles, email, claim, seen):
    assert may_view(Actor(email, frozenset(roles)), claim) is seen
    assert may_view(Actor(email, frozenset(roles), active=False), claim) is False


def test_a_lead_cannot_open_another_leads_claim_page(db, example_claim):
    with unit_of_work() as s:
        add_staff(s, email="lead@example.nhs.uk", name="Lead One", roles=["lead"])
        add_staff(s, email="other.lead@example.nhs.uk", name="Lead Two", roles=["lead"])
        add_staff(s, email="co@example.nhs.uk", name="Co Ordinator", roles=["coordinator"])
    claim = copy.deepcopy(example_claim)
    claim["activity"]["lead_email"] = "lead@example.nhs.uk"
    reference = submit(claim, "access-1").reference
    processing.process_batch()
    pages = {}
    for email in ("other.lead@example.nhs.uk", "lead@example.nhs.uk", "co@example.nhs.uk"):
        client = TestClient(create_app())
        sign_in(client, email)
        pages[email] = client.get(f"/staff/claims/{reference}")
    other = pages["other.lead@example.nhs.uk"]
    assert other.status_code == 404 and claim["claimant"]["email"] not in other.text
    assert claim["claimant"]["name"] not in other.text
    assert client.get("/staff/claims/CLM-2099-999999").status_code == 404  # the same answer as no claim
    for email in ("lead@example.nhs.uk", "co@example.nhs.uk"):
        assert pages[email].status_code == 200 and claim["claimant"]["email"] in pages[email].text
