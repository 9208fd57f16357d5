"""Role × claim state: the staff claim page offers exactly the actions the services then accept.

For every claim status a person can meet on the page and every kind of member of staff (named
approver, another lead, co-ordinator, PPI lead, finance, finance who approved it, HR, an admin, an admin
who is also co-ordinator and finance, the claimant
who is staff), the buttons on `/staff/claims/{REF}` are compared with what approve / reject / pay
actually do on a fresh claim in the same state. Both sides are real: the page through the ASGI app
with a signed-in session, the services through their own transactions (SQLite and PostgreSQL).
"""
from __future__ import annotations

import itertools
import uuid

import pytest
from fastapi.testclient import TestClient

from involve.db import unit_of_work
from involve.errors import InvolveError
from involve.services import claims as actions
from involve.services.intake import accept_claim
from involve.services.people import add_staff
from involve.services.processing import process_batch
from involve.web.app import create_app
from tests.reliability.support import claim
from tests.staff_sign_in import sign_in

LEAD = "lead@example.nhs.uk"
STAFF = {
    "lead": (LEAD, ["lead"]),
    "other_lead": ("other.lead@example.nhs.uk", ["lead"]),
    "coordinator": ("coord@example.nhs.uk", ["coordinator"]),
    "coordinator_2": ("coord2@example.nhs.uk", ["coordinator"]),
    "ppi_lead": ("ppi@example.nhs.uk", ["ppi_lead"]),
    "finance": ("fin@example.nhs.uk", ["finance"]),
    "finance_who_approved": ("fin.coord@example.nhs.uk", ["finance", "coordinator"]),
    "hr": ("hr@example.nhs.uk", ["hr"]),
    "admin": ("admin@example.nhs.uk", ["admin"]),  # grants roles; decides and pays nothing by that role
    "admin_coordinator_finance": ("admin.cf@example.nhs.uk", ["admin", "coordinator", "finance"]),
    "claimant": ("staff.claimant@example.nhs.uk", ["coordinator", "finance"]),
}
STATES = ("awaiting_approval", "awaiting_second_approval", "approved", "paid", "rejected")
BUTTONS = {"approve": 'id="approve"', "reject": 'id="reject"', "pay": 'id="pay"'}


def _email(key: str) -> str:
    return STAFF[key][0]


def _claim_in(state: str, n: int) -> str:
    """A fresh claim by the staff claimant, led by LEAD, moved to `state` by the services."""
    c = claim(n, tag=uuid.uuid4().hex[:8], lead=LEAD, big=state == "awaiting_second_approval")
    c["claimant"]["email"] = _email("claimant")
    ref = accept_claim(payload=c, delivery_id=uuid.uuid4().hex, digest=uuid.uuid4().hex).reference
    process_batch(limit=100)
    if state == "awaiting_second_approval":
        actions.approve(ref, by=LEAD)
    elif state in ("approved", "paid"):
        actions.approve(ref, by=_email("finance_who_approved"))
        if state == "paid":
            actions.pay(ref, by=_email("finance"))
    elif state == "rejected":
        actions.reject(ref, by=_email("coordinator"), reason="Not an involvement activity")
    return ref


def _service_allows(action: str, ref: str, by: str) -> bool:
    try:
        if action == "approve":
            actions.approve(ref, by=by)
        elif action == "reject":
            actions.reject(ref, by=by, reason="Checked on the matrix")
        else:
            actions.pay(ref, by=by)
    except InvolveError:
        return False
    return True


@pytest.fixture
def staff(db):
    with unit_of_work() as s:
        for email, roles in STAFF.values():
            add_staff(s, email=email, name=email.split("@")[0], roles=roles)


def test_page_buttons_equal_what_the_services_allow(staff):
    counter = itertools.count()
    page_refs = {state: _claim_in(state, next(counter)) for state in STATES}
    mismatches, allowed_somewhere = [], set()
    clients = {}
    for who in STAFF:
        clients[who] = TestClient(create_app()).__enter__()
        sign_in(clients[who], _email(who))
    try:
        for state, who in itertools.product(STATES, STAFF):
            page = clients[who].get(f"/staff/claims/{page_refs[state]}")
            shown = {a for a, marker in BUTTONS.items() if page.status_code == 200 and marker in page.text}
            for action in BUTTONS:
                allowed = _service_allows(action, _claim_in(state, next(counter)), _email(who))
                if allowed:
                    allowed_somewhere.add((state, action))
                if (action in shown) != allowed:
                    mismatches.append(f"{who} on a claim {state}: page {'shows' if action in shown else 'hides'} "
                                      f"{action}, service {'accepts' if allowed else 'refuses'} it")
    finally:
        for c in clients.values():
            c.__exit__(None, None, None)
    assert not mismatches, "\n".join(mismatches)
    # the matrix is not vacuous: each action is accepted somewhere, and only from the right states
    assert {("awaiting_approval", "approve"), ("awaiting_second_approval", "approve"),
            ("awaiting_approval", "reject"), ("awaiting_second_approval", "reject"),
            ("approved", "pay")} == allowed_somewhere
