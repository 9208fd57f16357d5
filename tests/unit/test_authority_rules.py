"""Pure authority and absence rules: involve/domain/authority.py and the away-aware part of approval.py."""
from __future__ import annotations

from datetime import date

from involve.domain import authority
from involve.domain.approval import Actor, ClaimFacts, approvers_for, covering, second_approvers, waiting_on

STAFF = {"lead@x.nhs.uk": ["lead"], "lead2@x.nhs.uk": ["lead"], "c1@x.nhs.uk": ["coordinator"],
         "c2@x.nhs.uk": ["coordinator"], "ppi@x.nhs.uk": ["ppi_lead"], "fin@x.nhs.uk": ["finance"]}
CLAIM = ClaimFacts("CLM-1", "awaiting_approval", "sam@x.org", lead_email="lead@x.nhs.uk",
                   approver_email="lead@x.nhs.uk")


def test_covering_follows_delegates_and_stops_at_loops():
    assert covering("a", {}) == "a"
    assert covering("a", {"a": "b"}) == "b"
    assert covering("a", {"a": "b", "b": "c"}) == "c"
    assert covering("a", {"a": "b", "b": "a"}) is None
    assert covering("a", {"a": None}) is None


def test_whom_to_ask_skips_the_absent():
    assert approvers_for(CLAIM, STAFF) == (["lead@x.nhs.uk"], "lead@x.nhs.uk")
    assert approvers_for(CLAIM, STAFF, {"lead@x.nhs.uk": "lead2@x.nhs.uk"}) == (["lead2@x.nhs.uk"], "lead2@x.nhs.uk")
    # away with nobody to cover: every co-ordinator present
    assert approvers_for(CLAIM, STAFF, {"lead@x.nhs.uk": None, "c2@x.nhs.uk": None}) == (["c1@x.nhs.uk"], None)
    assert waiting_on(CLAIM, STAFF, {"lead@x.nhs.uk": None}) == ["c1@x.nhs.uk", "c2@x.nhs.uk"]
    second = ClaimFacts("CLM-1", "awaiting_second_approval", "sam@x.org", approved_by="c1@x.nhs.uk")
    assert second_approvers(second, STAFF, {"ppi@x.nhs.uk": "c1@x.nhs.uk"}) == ["c2@x.nhs.uk"]


def test_only_admins_manage_roles_and_editors_the_register():
    admin, fin = Actor("a@x.nhs.uk", frozenset({"admin"})), Actor("f@x.nhs.uk", frozenset({"finance"}))
    assert authority.may_change_roles(admin) is None
    assert "only an admin" in authority.may_change_roles(fin)
    assert "not registered" in authority.may_change_roles(Actor("z@x.nhs.uk", frozenset({"admin"}), active=False))
    assert authority.may_change_register(Actor("p@x.nhs.uk", frozenset({"ppi_lead"}))) is None
    assert authority.may_change_register(fin) is not None
    assert authority.may_set_away(fin, "f@x.nhs.uk") is None and authority.may_set_away(fin, "o@x.nhs.uk")


def test_finance_is_not_given_to_someone_with_approvals_still_open():
    assert authority.segregation_conflict(["finance"], [], "c@x") is None
    assert authority.segregation_conflict(["hr"], ["CLM-1"], "c@x") is None
    assert "CLM-1, CLM-2, CLM-3 and 1 more" in authority.segregation_conflict(
        ["finance"], ["CLM-4", "CLM-3", "CLM-2", "CLM-1"], "c@x")


def test_a_delegate_must_be_able_to_do_the_work():
    d = date(2026, 1, 1)
    assert authority.delegate_refusal("c@x", ["coordinator"], "l@x", ["lead"], d, d) is not None
    assert authority.delegate_refusal("l@x", ["lead"], "c@x", ["coordinator"], d, d) is None
    assert authority.delegate_refusal("l@x", ["lead"], "l@x", ["lead"], d, d) == "the delegate must be someone else"
    assert "not registered" in authority.delegate_refusal("l@x", ["lead"], "z@x", None, d, d)
    assert authority.delegate_refusal("l@x", ["lead"], None, None, d, date(2025, 12, 31)) == "--to is before --from"
