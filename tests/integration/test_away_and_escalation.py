"""Away dates and delegation, escalation and reminders, with a moved clock (involve.clock.OFFSET)."""
from __future__ import annotations

import copy
from datetime import timedelta

import pytest

from involve import clock
from involve.db import unit_of_work
from involve.errors import InvolveError, NotAllowed
from involve.services import claims, processing, reminders
from involve.services.people import add_person, add_staff
from involve.services.staff_admin import set_away
from tests.integration.test_lifecycle import get, outbox, submit

LEAD, LEAD2, COORD, COORD2, FIN, ADMIN = (
    "lead.havering@example.nhs.uk", "lead2@example.nhs.uk", "coord@example.nhs.uk", "coord2@example.nhs.uk",
    "fin@example.nhs.uk", "admin@example.nhs.uk")
TODAY = clock.now().date()


@pytest.fixture
def staffed(db, monkeypatch):
    monkeypatch.setattr(clock, "OFFSET", timedelta(0))
    with unit_of_work() as s:
        for email, roles in ((LEAD, ["lead"]), (LEAD2, ["lead"]), (COORD, ["coordinator"]),
                             (COORD2, ["coordinator"]), (FIN, ["finance"]), (ADMIN, ["admin"])):
            add_staff(s, email=email, name=email.split("@")[0], roles=roles)
        add_person(s, email="sam.okafor@example.org", name="Sam Okafor", borough="havering")
    return monkeypatch


def claim(example: dict, n: int, lead: str | None = LEAD) -> str:
    c = copy.deepcopy(example)
    c["activity"]["start"], c["activity"]["end"] = f"{8 + n:02d}:00", f"{8 + n:02d}:30"
    c["activity"]["lead_email"] = lead
    return submit(c, f"d{n}").reference


def approvals_to(who: str) -> list:
    return [m for m in outbox("claim_approval") if m.to_addr == who]


def test_waiting_claims_go_to_the_delegate_and_new_ones_too(staffed, example_claim):
    waiting = claim(example_claim, 1)
    processing.process_batch()
    assert get(waiting).approver_email == LEAD
    set_away(LEAD, TODAY, TODAY + timedelta(days=7), LEAD2, by=LEAD)
    [resent] = approvals_to(LEAD2)
    assert resent.reference == waiting and resent.context["covering_for"] == LEAD
    assert get(waiting).approver_email == LEAD2
    fresh = claim(example_claim, 2)
    processing.process_batch()
    assert get(fresh).approver_email == LEAD2 and {m.reference for m in approvals_to(LEAD2)} == {waiting, fresh}
    assert {m.reference for m in approvals_to(LEAD)} == {waiting}  # the first email, before the absence
    claims.approve(fresh, by=LEAD2)
    with pytest.raises(NotAllowed):  # the absent lead is no longer the named approver
        claims.approve(waiting, by=LEAD)


def test_an_absence_that_starts_later_reroutes_on_its_first_day(staffed, example_claim):
    ref = claim(example_claim, 1)
    processing.process_batch()
    set_away(LEAD, TODAY + timedelta(days=2), TODAY + timedelta(days=4), LEAD2, by=COORD)
    assert approvals_to(LEAD2) == []
    staffed.setattr(clock, "OFFSET", timedelta(days=2))
    reminders.queue_digests()
    assert [m.reference for m in approvals_to(LEAD2)] == [ref]
    assert get(ref).approver_email == LEAD2


def test_who_may_set_away_dates_and_who_may_cover(staffed):
    with pytest.raises(NotAllowed):
        set_away(LEAD, TODAY, TODAY, LEAD2, by=FIN)  # not them, not a co-ordinator or admin
    with pytest.raises(NotAllowed):
        set_away(LEAD, TODAY, TODAY, LEAD2, by=None)
    with pytest.raises(InvolveError, match="needs the role"):
        set_away(COORD, TODAY, TODAY, LEAD, by=COORD)  # a lead cannot cover a co-ordinator's claims
    with pytest.raises(InvolveError, match="before"):
        set_away(LEAD, TODAY, TODAY - timedelta(days=1), LEAD2, by=ADMIN)
    set_away(LEAD, TODAY, TODAY, COORD, by=ADMIN)


def test_reminders_never_go_to_someone_away_and_escalation_reaches_every_coordinator(staffed, example_claim):
    ref = claim(example_claim, 1, lead=None)  # routed to every co-ordinator
    processing.process_batch()
    assert {m.to_addr for m in approvals_to(COORD)} | {m.to_addr for m in approvals_to(COORD2)} == {COORD, COORD2}
    set_away(COORD2, TODAY, TODAY + timedelta(days=30), None, by=COORD2)
    staffed.setattr(clock, "OFFSET", timedelta(days=6))  # past approval_reminder_days (5)
    reminders.queue_digests()
    assert [m.to_addr for m in outbox("approval_reminder")] == [COORD]
    assert [m for m in outbox("claim_approval") if m.context.get("escalated_days")] == []
    staffed.setattr(clock, "OFFSET", timedelta(days=11))  # past escalate_after_days (10)
    reminders.queue_digests()
    reminders.queue_digests()  # once per claim and co-ordinator
    escalated = [m for m in outbox("claim_approval") if m.context.get("escalated_days")]
    assert [(m.reference, m.to_addr, m.context["escalated_days"]) for m in escalated] == [(ref, COORD, 10)]
    assert {m.to_addr for m in outbox("approval_reminder")} == {COORD}


def test_a_named_lead_claim_escalates_to_the_coordinators(staffed, example_claim):
    ref = claim(example_claim, 1)
    processing.process_batch()
    staffed.setattr(clock, "OFFSET", timedelta(days=11))
    reminders.queue_digests()
    escalated = sorted(m.to_addr for m in outbox("claim_approval") if m.context.get("escalated_days"))
    assert escalated == sorted([COORD, COORD2])
    claims.approve(ref, by=COORD2)
    assert get(ref).status == "approved"
