"""Issue 18, item 1: one canonical form for email addresses, used by every identity check."""
from __future__ import annotations

import copy

import pytest
from sqlalchemy import update

from involve.db import unit_of_work
from involve.domain.emails import InvalidEmail, canonical_email, same_address
from involve.errors import NotAllowed
from involve.services import claims, processing
from involve.services.people import add_staff, normalise_email
from models import Claim
from tests.integration.test_lifecycle import COORD, setup_people, submit
from tests.integration.test_webhooks import client  # noqa: F401 - fixture
from tests.security.support import post_claim, recent


@pytest.mark.parametrize("value", [
    "Sam <sam@example.org>", "Sam<sam@example.org>", "<sam@example.org>", "sam@example.org\nBcc: x@example.org",
    "sam@example.org\r", "sa\x00m@example.org", "\u00fcser@example.org", '"sam okafor"@example.org',
    "sam@[127.0.0.1]", "sam@localhost", "sam@example", "", "sam", "@example.org", "a" * 330 + "@example.org",
])
def test_canonical_email_refuses_what_smtp_or_a_comparison_would_read_differently(value):
    with pytest.raises(InvalidEmail):
        canonical_email(value)


def test_canonical_email_is_the_address_alone_lower_cased():
    assert canonical_email("Sam.Okafor@Example.ORG") == "sam.okafor@example.org"
    assert canonical_email(" sam@example.org ") == "sam@example.org"
    assert canonical_email("a@b\u00fccher.example") == "a@xn--bcher-kva.example"
    assert same_address("Sam <SAM@example.org>", "sam@example.org")  # a legacy stored value still compares
    assert not same_address(None, None)


@pytest.mark.parametrize("email", ["Sam Okafor<sam.okafor@example.org>", "sam.okafor@example.org\nx@example.org",
                                   "sam.okafor@example.org\r\nBcc: x@example.org"])
def test_claimant_email_with_display_name_or_line_break_is_422(client, example_claim, email):  # noqa: F811
    claim = recent(copy.deepcopy(example_claim))
    claim["claimant"]["email"] = email
    r = post_claim(client, claim, "msg-email")
    assert r.status_code == 422
    assert any(e["field"] == "claimant.email" for e in r.json()["errors"])


def test_staff_cannot_approve_own_claim_whatever_the_form(db, example_claim):
    """A claim stored before the rule (display name in the address) is still the approver's own."""
    setup_people()
    claim = copy.deepcopy(example_claim)
    claim["claimant"]["email"] = "Coord@Example.NHS.uk"
    ref = submit(claim).reference
    processing.process_batch()
    with unit_of_work() as s:
        s.execute(update(Claim).where(Claim.reference == ref).values(claimant_email=f"Coord<{COORD}>"))
    with pytest.raises(NotAllowed):
        claims.approve(ref, by=COORD.upper())
    with pytest.raises(NotAllowed):
        claims.reject(ref, by=f" {COORD} ", reason="no")


def test_staff_lookups_use_the_canonical_address(db):
    with unit_of_work() as s:
        member = add_staff(s, email="New.Person@Example.NHS.uk", name="New", roles=["lead"])
        assert member.email == "new.person@example.nhs.uk"
    assert normalise_email("NEW.PERSON@example.nhs.uk") == "new.person@example.nhs.uk"
    with pytest.raises(Exception, match="not an email address"):
        normalise_email("New <new.person@example.nhs.uk>")
