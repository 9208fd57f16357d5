"""The claim lifecycle through the services, on SQLite and PostgreSQL."""
from __future__ import annotations

import json
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from involve import audit
from involve.db import reader, unit_of_work
from involve.errors import AlreadyPaid, DuplicateDelivery, InvalidClaim, NotAllowed, WrongState
from involve.services import claims, processing
from involve.services.intake import accept_claim, body_digest
from involve.services.people import add_person, add_staff
from models import Claim, OutboxEmail, Payment

LEAD, COORD, FIN, FIN2 = ("lead.havering@example.nhs.uk", "coord@example.nhs.uk", "finance@example.nhs.uk",
                          "finance2@example.nhs.uk")


def setup_people(sam: bool = True) -> None:
    with unit_of_work() as s:
        add_staff(s, email=LEAD, name="Lead", roles=["lead"])
        add_staff(s, email=COORD, name="Coord", roles=["coordinator"])
        add_staff(s, email=FIN, name="Fin", roles=["finance"])
        add_staff(s, email=FIN2, name="Fin2", roles=["finance", "coordinator"])
        if sam:
            add_person(s, email="sam.okafor@example.org", name="Sam Okafor", borough="havering")


def submit(claim: dict, delivery: str = "d1"):
    body = json.dumps(claim).encode()
    return accept_claim(payload=claim, delivery_id=delivery, digest=body_digest(body))


def outbox(template: str | None = None) -> list[OutboxEmail]:
    with reader() as s:
        stmt = select(OutboxEmail).order_by(OutboxEmail.id)
        if template:
            stmt = stmt.where(OutboxEmail.template == template)
        return list(s.execute(stmt).scalars())


def get(ref: str) -> Claim:
    with reader() as s:
        return s.execute(select(Claim).where(Claim.reference == ref)).scalar_one()


def test_worked_example_to_payment(db, example_claim):
    setup_people()
    r = submit(example_claim)
    assert r.created and r.status == "submitted"
    again = submit(example_claim)
    assert (again.created, again.reference) == (False, r.reference)
    assert processing.process_batch() == [r.reference]
    c = get(r.reference)
    assert (c.status, c.fee_amount, c.expenses_amount, c.total_amount) == (
        "awaiting_approval", Decimal("80.00"), Decimal("38.00"), Decimal("118.00"))
    assert c.flags == ["receipt_missing"]
    assert c.approver_email == LEAD
    assert [m.to_addr for m in outbox("claim_approval")] == [LEAD]
    assert [m.to_addr for m in outbox("claim_received")] == ["sam.okafor@example.org"]
    with pytest.raises(NotAllowed):
        claims.approve(r.reference, by=FIN)  # finance is not an approver
    claims.approve(r.reference, by=LEAD)
    assert get(r.reference).status == "approved"
    assert [m.to_addr for m in outbox("claim_approved")] == [FIN]
    claims.pay(r.reference, by=FIN, payment_ref="BACS-1")
    with pytest.raises(AlreadyPaid):
        claims.pay(r.reference, by=FIN2)
    with reader() as s:
        assert s.execute(select(func.count()).select_from(Payment)).scalar_one() == 1
        v = audit.verify(s)
    assert v.ok and v.count >= 4


def test_same_delivery_other_body_is_refused_and_changes_nothing(db, example_claim):
    submit(example_claim)
    changed = dict(example_claim, declaration=True)
    changed["activity"] = dict(example_claim["activity"], title="Something else")
    with pytest.raises(DuplicateDelivery):
        submit(changed)
    with reader() as s:
        assert s.execute(select(func.count()).select_from(Claim)).scalar_one() == 1


def test_invalid_claim_stores_nothing(db, example_claim):
    bad = dict(example_claim, surprise=1)
    with pytest.raises(InvalidClaim) as exc:
        submit(bad)
    assert exc.value.errors[0]["field"] == "surprise"
    with reader() as s:
        assert s.execute(select(func.count()).select_from(Claim)).scalar_one() == 0


def test_no_self_approval_and_approver_cannot_pay(db, example_claim):
    setup_people()
    example_claim["claimant"]["email"] = FIN2  # a co-ordinator claiming
    r = submit(example_claim)
    processing.process_batch()
    with pytest.raises(NotAllowed):
        claims.approve(r.reference, by=FIN2)
    claims.approve(r.reference, by=COORD)
    r2 = submit(dict(example_claim, claimant={"name": "Sam", "email": "sam.okafor@example.org"}), "d2")
    processing.process_batch()
    claims.approve(r2.reference, by=FIN2)
    with pytest.raises(NotAllowed):
        claims.pay(r2.reference, by=FIN2)
    claims.pay(r2.reference, by=FIN)


def test_second_approval_needs_a_different_person(db, example_claim):
    setup_people()
    example_claim["expenses"].append({"kind": "support", "amount": "300.00", "receipt": "bsl.pdf"})
    r = submit(example_claim)
    processing.process_batch()
    assert "second_approval" in get(r.reference).flags
    claims.approve(r.reference, by=LEAD)
    assert get(r.reference).status == "awaiting_second_approval"
    with pytest.raises(NotAllowed):
        claims.approve(r.reference, by=LEAD)
    with pytest.raises(WrongState):
        claims.pay(r.reference, by=FIN)
    claims.approve(r.reference, by=COORD)
    assert get(r.reference).status == "approved"


def test_reject_needs_reason_and_emails_claimant(db, example_claim):
    setup_people()
    r = submit(example_claim)
    processing.process_batch()
    with pytest.raises(Exception, match="reason"):
        claims.reject(r.reference, by=LEAD, reason="  ")
    claims.reject(r.reference, by=LEAD, reason="This was a duplicate of CLM-X")
    assert get(r.reference).status == "rejected"
    [mail] = outbox("claim_rejected")
    assert mail.context["reason"] == "This was a duplicate of CLM-X"
    with pytest.raises(WrongState):
        claims.approve(r.reference, by=LEAD)
