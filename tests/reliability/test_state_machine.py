"""Scenario 8: a Hypothesis state machine over the claim services (intake, processing, approve,
reject, pay), on SQLite and PostgreSQL. After every step the database must satisfy the rules:
no payment without approval, nobody approves their own claim, the approver does not record the
payment, the second approver is someone else, a claim is paid at most once. A model of who may do
what also checks that the services refuse exactly what they should."""

from __future__ import annotations

import json
import uuid

import pytest
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import Bundle, RuleBasedStateMachine, invariant, rule, run_state_machine_as_test

from involve.errors import InvolveError
from tests.reliability.support import claim

STAFF = {
    "coord.a@example.nhs.uk": ["coordinator"],
    "coord.b@example.nhs.uk": ["coordinator", "finance"],  # may approve and pay, never both on one claim
    "lead@example.nhs.uk": ["lead"],
    "fin@example.nhs.uk": ["finance"],
    "ppi@example.nhs.uk": ["ppi_lead"],
}
ACTORS = sorted(STAFF) + ["nobody@example.org"]
CLAIMANTS = ["sam@example.org", "coord.a@example.nhs.uk", "fin@example.nhs.uk"]


def roles(who: str) -> set[str]:
    return set(STAFF.get(who, []))


class ClaimMachine(RuleBasedStateMachine):
    refs = Bundle("refs")

    def __init__(self) -> None:
        super().__init__()
        self.model: dict[str, dict] = {}

    @rule(
        target=refs,
        claimant=st.sampled_from(CLAIMANTS),
        big=st.booleans(),
        lead=st.sampled_from(["lead@example.nhs.uk", None]),
    )
    def submit(self, claimant, big, lead):
        from involve.services.intake import accept_claim

        c = claim(len(self.model), tag=uuid.uuid4().hex[:8], lead=lead, big=big)
        c["claimant"]["email"] = claimant
        body = json.dumps(c).encode()
        r = accept_claim(payload=c, delivery_id=uuid.uuid4().hex, digest=uuid.uuid4().hex)
        assert r.created and body
        self.model[r.reference] = {
            "status": "submitted",
            "claimant": claimant,
            "big": big,
            "lead": lead,
            "approved_by": None,
            "second": None,
            "paid_by": None,
        }
        return r.reference

    @rule()
    def process(self):
        from involve.services.processing import process_batch

        done = set(process_batch(limit=1000))
        for ref, m in self.model.items():
            if m["status"] == "submitted":
                assert ref in done, f"{ref} was not processed"
                m["status"] = "awaiting_approval"

    def _may_approve(self, m: dict, by: str) -> str | None:
        if by == m["claimant"]:
            return None
        r = roles(by)
        if m["status"] == "awaiting_approval":
            named = m["lead"] if m["lead"] and m["lead"] != m["claimant"] else None
            if "coordinator" in r or ("lead" in r and named == by):
                return "awaiting_second_approval" if m["big"] else "approved"
        if (
            m["status"] == "awaiting_second_approval"
            and r & {"coordinator", "ppi_lead"}
            and by != m["approved_by"]
        ):
            return "approved"
        return None

    @rule(ref=refs, by=st.sampled_from(ACTORS))
    def approve(self, ref, by):
        from involve.services.claims import approve

        m = self.model[ref]
        expected = self._may_approve(m, by)
        try:
            c = approve(ref, by=by)
        except InvolveError:
            assert expected is None, f"{by} was refused approving {ref} ({m})"
            return
        assert expected is not None, f"{by} approved {ref} but should not have ({m})"
        assert c.status == expected
        if m["status"] == "awaiting_second_approval":
            m["second"] = by
        else:
            m["approved_by"] = by
        m["status"] = expected

    @rule(ref=refs, by=st.sampled_from(ACTORS))
    def reject(self, ref, by):
        from involve.services.claims import reject

        m = self.model[ref]
        try:
            reject(ref, by=by, reason="Not part of this activity")
        except InvolveError:
            return
        assert m["status"] in ("submitted", "awaiting_approval", "awaiting_second_approval"), m
        assert by != m["claimant"] and roles(by) & {"lead", "coordinator", "ppi_lead"}
        m["status"] = "rejected"

    @rule(ref=refs, by=st.sampled_from(ACTORS))
    def pay(self, ref, by):
        from involve.services.claims import pay

        m = self.model[ref]
        allowed = (
            m["status"] == "approved"
            and "finance" in roles(by)
            and by not in (m["approved_by"], m["second"], m["claimant"])
        )
        try:
            pay(ref, by=by, payment_ref="HYP")
        except InvolveError:
            assert not allowed, f"{by} was refused paying {ref} ({m})"
            return
        assert allowed, f"{by} paid {ref} but should not have ({m})"
        m["status"], m["paid_by"] = "paid", by

    @invariant()
    def database_keeps_the_rules(self):
        if not self.model:
            return
        from sqlalchemy import func, select

        from involve.db import reader
        from models import AuditRecord, Claim, Payment

        with reader() as s:
            claims = {
                c.reference: c
                for c in s.execute(select(Claim).where(Claim.reference.in_(self.model))).scalars()
            }
            payments = {
                cid: (n, who)
                for cid, n, who in s.execute(
                    select(Payment.claim_id, func.count(), func.max(Payment.recorded_by)).group_by(
                        Payment.claim_id
                    )
                )
            }
            history = {}
            for r in s.execute(
                select(AuditRecord).where(AuditRecord.reference.in_(self.model)).order_by(AuditRecord.seq)
            ).scalars():
                history.setdefault(r.reference, []).append(r.action)
        for ref, m in self.model.items():
            c = claims[ref]
            n, payer = payments.get(c.id, (0, None))
            assert c.status == m["status"], (ref, c.status, m)
            assert n <= 1, f"{ref} paid {n} times"
            assert (c.status == "paid") == (n == 1), (ref, c.status, n)
            assert c.approved_by != c.claimant_email and c.second_approved_by != c.claimant_email, ref
            if c.second_approved_by:
                assert c.second_approved_by != c.approved_by, f"{ref}: the same person approved twice"
            if n:
                assert c.approved_by, f"{ref} paid without approval"
                if "second_approval" in (c.flags or []):
                    assert c.second_approved_by, f"{ref} paid without its second approval"
                assert payer not in (c.approved_by, c.second_approved_by, c.claimant_email), f"{ref}: payer"
                h = history[ref]
                assert h.count("pay") == 1 and h.index("pay") > max(
                    i for i, a in enumerate(h) if a in ("approve", "first_approve")
                ), h


@pytest.mark.parametrize("examples", [12])
def test_claim_state_machine(db, examples):
    from involve.db import unit_of_work
    from involve.services.people import add_staff

    with unit_of_work() as s:
        for email, rs in STAFF.items():
            add_staff(s, email=email, name=email.split("@")[0], roles=rs)
    run_state_machine_as_test(
        ClaimMachine,
        settings=settings(
            max_examples=examples,
            stateful_step_count=25,
            deadline=None,
            suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
        ),
    )
