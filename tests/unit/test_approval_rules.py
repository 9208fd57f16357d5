"""The approval rules (involve/domain/approval.py) as data: who may approve, reject, ask or pay."""
from __future__ import annotations

import pytest

from involve.domain.approval import Actor, ClaimFacts, allowed_actions, approvers_for, may, second_approvers

LEAD, COORD, PPI, FIN = "lead@x.nhs.uk", "coord@x.nhs.uk", "ppi@x.nhs.uk", "fin@x.nhs.uk"


def actor(email, *roles, active=True):
    return Actor(email, frozenset(roles), active)


def facts(status="awaiting_approval", **kw):
    base = dict(reference="CLM-1", status=status, claimant_email="sam@x.org", lead_email=LEAD, approver_email=LEAD)
    return ClaimFacts(**{**base, **kw})


@pytest.mark.parametrize("who, claim, expected", [
    (actor(LEAD, "lead"), facts(), {"approve", "reject", "ask"}),
    (actor("other@x.nhs.uk", "lead"), facts(), set()),
    (actor(COORD, "coordinator"), facts(), {"approve", "reject", "ask"}),
    (actor(PPI, "ppi_lead"), facts(), set()),
    (actor(PPI, "ppi_lead"), facts("awaiting_second_approval", approved_by=LEAD), {"approve", "reject", "ask"}),
    (actor(LEAD, "lead"), facts("awaiting_second_approval", approved_by=LEAD), {"reject", "ask"}),
    (actor(COORD, "coordinator"), facts("awaiting_second_approval", approved_by=COORD), {"reject", "ask"}),
    (actor(FIN, "finance"), facts("approved", approved_by=COORD), {"pay"}),
    (actor(FIN, "finance", "coordinator"), facts("approved", approved_by=FIN), set()),
    (actor(FIN, "finance"), facts("paid", approved_by=COORD), set()),
    (actor("sam@x.org", "coordinator", "finance"), facts(), set()),
    (actor("sam@x.org", "finance"), facts("approved", approved_by=COORD), set()),
    (actor(COORD, "coordinator", active=False), facts(), set()),
    (actor(COORD, "coordinator"), facts("rejected"), set()),
    (actor(COORD, "coordinator"), facts(keyed_by=COORD), {"reject", "ask"}),
    (actor("hr@x.nhs.uk", "hr"), facts(), set()),
])
def test_allowed_actions(who, claim, expected):
    assert allowed_actions(who, claim) == expected


def test_a_refusal_says_why_and_a_wrong_state_is_marked():
    d = may(actor("other@x.nhs.uk", "lead"), "approve", facts())
    assert not d and "not the approver for CLM-1" in d.reason and not d.wrong_state
    d = may(actor(FIN, "finance"), "pay", facts("paid"))
    assert not d and d.wrong_state
    assert may(actor(LEAD, "lead"), "approve", facts(flags=("second_approval",))).transition == "first_approve"


def test_whom_to_ask():
    staff = {LEAD: {"lead"}, COORD: {"coordinator"}, PPI: {"ppi_lead"}, "sam@x.org": {"coordinator"}}
    assert approvers_for(facts(), staff) == ([LEAD], LEAD)
    assert approvers_for(facts(lead_email="nobody@x.nhs.uk"), staff) == ([COORD], None)  # never the claimant
    assert second_approvers(facts("awaiting_second_approval", approved_by=COORD), staff) == [PPI]
