"""Issue 18, items 6 and 9: values the database cannot hold are 422 before the database; one claim
the database refuses never fails the valid claims committed with it; a canonical claim re-sent
under a new delivery id (same submission_id) is not a second claim."""
from __future__ import annotations

import copy
import json

import pytest
from sqlalchemy import func, select

from involve.db import reader
from involve.errors import InvalidClaim
from involve.services import intake
from involve.services.intake import Incoming, IntakeResult, accept_claim, accept_claims, body_digest
from models import Claim
from tests.integration.test_webhooks import claims_count, client  # noqa: F401 - fixture
from tests.security.support import post_claim, recent


def _item(claim: dict, delivery: str) -> Incoming:
    return Incoming(claim, delivery, body_digest(json.dumps(claim, sort_keys=True).encode()))


def _claim(example: dict, n: int, name: str = "Sam Okafor") -> dict:
    c = recent(copy.deepcopy(example))
    c["submission_id"] = f"iso-{n}"
    c["claimant"]["name"] = name
    return c


@pytest.mark.parametrize("delivery_id", ["m" * 201, "msg\x00id", "msg\nid"])
def test_a_delivery_id_the_table_cannot_hold_is_422_before_the_database(db, example_claim, delivery_id):
    with pytest.raises(InvalidClaim):
        accept_claim(payload=_claim(example_claim, 1), delivery_id=delivery_id, digest="d")
    assert claims_count() == 0


def test_a_long_webhook_id_is_422(client, example_claim):  # noqa: F811
    r = post_claim(client, recent(copy.deepcopy(example_claim)), "m" * 300)
    assert r.status_code == 422 and claims_count() == 0


@pytest.mark.parametrize("fault", ["null", "too_long"])
def test_one_claim_the_database_refuses_never_fails_the_others_in_its_group_commit(
        db, example_claim, monkeypatch, fault):
    if fault == "too_long" and db.startswith("sqlite"):
        pytest.skip("SQLite does not enforce column lengths; PostgreSQL does")
    real = intake.claim_row

    def claim_row(claim, **kw):  # a value the schema let through but the database refuses
        row = real(claim, **kw)
        if claim.claimant.name == "Refused":
            row["claimant_name"] = None if fault == "null" else "x" * 260
        return row

    monkeypatch.setattr(intake, "claim_row", claim_row)
    items = [_item(_claim(example_claim, 1), "a"), _item(_claim(example_claim, 2, "Refused"), "bad"),
             _item(_claim(example_claim, 3), "c")]
    out = accept_claims(items)
    assert isinstance(out[0], IntakeResult) and out[0].created
    assert isinstance(out[1], InvalidClaim)
    assert isinstance(out[2], IntakeResult) and out[2].created
    assert claims_count() == 2


def test_a_resent_submission_under_a_new_delivery_id_is_the_same_claim(db, example_claim):
    claim = _claim(example_claim, 7)
    first = accept_claim(payload=claim, delivery_id="first", digest="body-1")
    again = accept_claim(payload=claim, delivery_id="second", digest="body-1b")  # re-serialised by the sender
    assert again == IntakeResult(first.reference, "submitted", created=False)
    assert accept_claim(payload=claim, delivery_id="second", digest="body-1b") == again  # its retry too
    batch = accept_claims([Incoming(claim, "fourth", "x")])
    assert batch[0] == again
    twice = _claim(example_claim, 8)
    pair = accept_claims([Incoming(twice, "p1", "b8"), Incoming(twice, "p2", "b8")])
    assert pair[0].created and pair[1] == IntakeResult(pair[0].reference, "submitted", created=False)
    other_person = copy.deepcopy(twice)  # the same form id for another person's claim is another claim
    other_person["claimant"]["email"] = "someone.else@example.org"
    assert accept_claim(payload=other_person, delivery_id="p3", digest="b9").created
    with reader() as s:
        assert s.execute(select(func.count()).select_from(Claim)).scalar_one() == 3


def test_resent_canonical_webhook_with_a_new_webhook_id_answers_200_with_the_first_reference(
        client, example_claim):  # noqa: F811
    claim = _claim(example_claim, 9)
    first = post_claim(client, claim, "wh-1")
    again = post_claim(client, claim, "wh-2")
    assert (first.status_code, again.status_code) == (202, 200)
    assert again.json()["reference"] == first.json()["reference"] and claims_count() == 1
