"""The approvers' claims list: search by reference, name or email; keyset pages; filters offering only
statuses that exist; approving several claims at once after a confirmation step."""
from __future__ import annotations

import copy
import re

import pytest
from fastapi.testclient import TestClient

from involve.db import unit_of_work
from involve.services import processing
from involve.services.people import add_staff
from involve.views import claims as claim_views
from involve.web.app import create_app
from tests.integration.test_lifecycle import get, submit
from tests.staff_sign_in import csrf, sign_in

COORD, LEAD = "coord@example.nhs.uk", "lead.havering@example.nhs.uk"


@pytest.fixture
def browser(db, example_claim, monkeypatch):
    with unit_of_work() as s:
        add_staff(s, email=COORD, name="Co-ordinator", roles=["coordinator"])
        add_staff(s, email=LEAD, name="Lead", roles=["lead"])
    for n in range(5):
        c = copy.deepcopy(example_claim)
        c["claimant"].update(email=f"person{n}@example.org", name=f"Person Number{n}")
        submit(c, f"d{n}")
    processing.process_batch()
    monkeypatch.setattr(claim_views, "PAGE_SIZE", 2)
    with TestClient(create_app()) as c:
        sign_in(c, COORD)
        yield c


def refs_on(page) -> list[str]:
    return re.findall(r'<a href="/staff/claims/(CLM-[^"]+)">', page.text)


def test_search_paging_and_only_existing_statuses(browser):
    first = browser.get("/staff/claims")
    assert first.status_code == 200 and len(refs_on(first)) == 2
    options = set(re.findall(r'<option value="([a-z_]+)"', first.text.split('id="flag"')[0]))
    assert options == {"awaiting_approval"}  # "Payment failed" and others nobody reached are not offered
    older = re.search(r'href="([^"]+)" rel="next" id="older"', first.text).group(1).replace("&amp;", "&")
    second = browser.get(older)
    seen = refs_on(first) + refs_on(second)
    third = browser.get(re.search(r'href="([^"]+)" rel="next" id="older"', second.text).group(1).replace("&amp;", "&"))
    seen += refs_on(third)
    assert len(seen) == len(set(seen)) == 5 and 'id="older"' not in third.text
    ref = seen[3]
    assert refs_on(browser.get("/staff/claims", params={"q": ref.lower()})) == [ref]
    assert len(refs_on(browser.get("/staff/claims", params={"q": "number4"}))) == 1
    assert len(refs_on(browser.get("/staff/claims", params={"q": "person2@example"}))) == 1
    assert 'class="nhsuk-table nhsuk-table--responsive"' in first.text


def test_approve_several_after_a_confirmation(browser, monkeypatch):
    monkeypatch.setattr(claim_views, "PAGE_SIZE", 50)
    page = browser.get("/staff/claims")
    refs = refs_on(page)
    with unit_of_work() as s:  # approved meanwhile by someone else: refused on its own, the others go through
        from models import Claim

        s.query(Claim).filter_by(reference=refs[0]).update({"status": "approved"})
    confirm = browser.post("/staff/approve-claims", data={"csrf_token": csrf(page), "ref": refs[:3]})
    assert confirm.status_code == 200 and "Approve these 3 claims?" in confirm.text
    assert "Receipt missing" in confirm.text or "receipt" in confirm.text.lower()  # the flags are shown again
    assert [get(r).status for r in refs[1:3]] == ["awaiting_approval"] * 2  # nothing approved yet
    done = browser.post("/staff/approve-claims/confirm", data={"csrf_token": csrf(confirm), "ref": refs[:3]})
    assert done.status_code == 200 and "2 claims approved" in done.text
    assert refs[0] in done.text.split('id="refused"')[1]
    assert [get(r).status for r in refs[1:3]] == ["approved"] * 2
    assert get(refs[3]).status == "awaiting_approval"


def test_a_lead_sees_no_boxes_for_claims_they_cannot_approve(db, example_claim):
    with unit_of_work() as s:
        add_staff(s, email=LEAD, name="Lead", roles=["lead"])
        add_staff(s, email="other.lead@example.nhs.uk", name="Other", roles=["lead"])
    submit(example_claim, "x")
    processing.process_batch()
    with TestClient(create_app()) as c:
        sign_in(c, "other.lead@example.nhs.uk")
        page = c.get("/staff/claims")
        assert 'name="ref"' not in page.text
