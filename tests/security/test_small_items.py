"""Issue 18, the smaller items of the input half: the phone keyer cannot approve, the Confirm: page
has no radio with a reveal script (axe aria-allowed-attr), a 405 on /act/ names POST, a link-page
form mistake is a 400 with the form and an error summary, money is a decimal string in the OpenAPI,
audit action names fit their column."""
from __future__ import annotations

import ast
import copy
from datetime import timedelta
from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from involve.db import unit_of_work
from involve.errors import NotAllowed
from involve.services import claims, processing, training
from involve.services.people import add_staff
from involve.web import actions
from involve.web.app import create_app
from models import AuditRecord
from tests.integration.test_lifecycle import setup_people, submit
from tests.integration.test_recruitment import ANN, COORD, HR, TODAY, at, mails, setup_register, signed

ROOT = Path(__file__).resolve().parents[2]


def _prepared_claim(monkeypatch) -> str:
    setup_register()
    at(-3, monkeypatch)
    session = training.add_session(day=TODAY - timedelta(days=1), start="10:00", end="12:00", capacity=3, by=HR)
    at(0, monkeypatch)
    _, ref = training.attend(session.id, member=ANN, by=HR)
    return ref


def test_the_coordinator_who_keys_a_claim_by_phone_cannot_approve_it(db, monkeypatch):
    from involve.services import activity_claims

    ref = _prepared_claim(monkeypatch)
    with unit_of_work() as s:
        add_staff(s, email="coord2@example.nhs.uk", name="Coord Two", roles=["coordinator"])
    activity_claims.confirm(ref, {"fee": {"claimed": True}, "declaration": True}, by=COORD)
    assert processing.process_batch() == [ref]
    approval_to = {m.to_addr for m in mails("claim_approval")}
    assert COORD not in approval_to and "coord2@example.nhs.uk" in approval_to
    with pytest.raises(NotAllowed, match="confirmed .* for the person"):
        claims.approve(ref, by=COORD)
    assert claims.approve(ref, by="coord2@example.nhs.uk").status == "approved"


def test_the_confirm_page_has_no_reveal_script_on_a_radio(db, monkeypatch):
    _prepared_claim(monkeypatch)
    [thanks] = mails("training_thanks", ANN)
    web = TestClient(FastAPI())
    web.app.include_router(actions.router)
    page = web.get(f"/act/{signed(thanks.context['confirm_url'])}")
    assert page.status_code == 200 and 'name="method"' in page.text
    assert "data-aria-controls" not in page.text and "aria-expanded" not in page.text


def test_a_405_on_an_action_link_names_post_in_allow(db):
    client = TestClient(create_app())
    r = client.put("/act/anything")
    assert r.status_code == 405 and "POST" in r.headers["allow"] and "GET" in r.headers["allow"]


def test_a_link_page_form_mistake_is_400_with_the_form_and_an_error_summary(db, example_claim):
    setup_people()
    ref = submit(copy.deepcopy(example_claim)).reference
    processing.process_batch()
    [mail] = [m for m in mails("claim_approval") if m.reference == ref][:1]
    client = TestClient(create_app())
    r = client.post(f"/act/{signed(mail.context['reject_url'])}", data={"confirm": "yes", "reason": "  "})
    assert r.status_code == 400
    assert "nhsuk-error-summary" in r.text and 'name="reason"' in r.text and 'href="#reason"' in r.text
    assert client.get(f"/act/{signed(mail.context['reject_url'])}").status_code == 200  # link not used up


def test_the_openapi_says_money_is_a_decimal_string():
    schema = create_app().openapi()["components"]["schemas"]
    for name, field in (("Expense", "amount"), ("Expense", "miles")):
        prop = schema[name]["properties"][field]
        options = [p for p in prop.get("anyOf", [prop]) if p.get("type") != "null"]
        assert [p["type"] for p in options] == ["string"], prop
        assert "pattern" in options[0]


def _audit_actions() -> list[tuple[str, int, object]]:
    """(file, line, action) of every audit.Change(entity, reference, ACTION, ...) in the code."""
    found = []
    for path in (ROOT / "involve").rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Call) and getattr(node.func, "attr", None) == "Change" and len(node.args) >= 3:
                found.append((path.name, node.lineno, node.args[2]))
    return found


def test_audit_action_names_fit_their_column_and_are_never_cut():
    size = AuditRecord.__table__.c.action.type.length
    actions_seen = _audit_actions()
    assert len(actions_seen) > 20
    for where, line, arg in actions_seen:
        assert not isinstance(arg, ast.JoinedStr), f"{where}:{line} builds an action name; use literal names"
        values = [arg] if isinstance(arg, ast.Constant) else [arg.body, arg.orelse] if isinstance(arg, ast.IfExp) \
            else []
        for v in values:
            if isinstance(v, ast.Constant):
                assert len(v.value) <= size, f"{where}:{line} {v.value!r} is longer than audit.action ({size})"
    src = (ROOT / "involve" / "services" / "recruitment_hr.py").read_text()
    assert '"comment_decline"' in src and '"comment_accept"' in src


def test_nul_and_control_characters_in_free_text_never_reach_the_database(db, example_claim):
    from involve.domain.recruitment_schema import InvalidRecruitment, parse_recruitment

    setup_people()
    ref = submit(copy.deepcopy(example_claim)).reference
    processing.process_batch()
    [mail] = [m for m in mails("claim_approval") if m.reference == ref][:1]
    client = TestClient(create_app())
    r = client.post(f"/act/{signed(mail.context['reject_url'])}",
                    data={"confirm": "yes", "reason": "Not\x00 this\x1b[2J one\nsorry"})
    assert r.status_code == 200
    from tests.integration.test_lifecycle import get

    assert get(ref).rejection_reason == "Not this[2J one\nsorry"
    with pytest.raises(InvalidRecruitment):
        parse_recruitment({"title": "Nurse", "staff_group": "cpn", "borough": "havering",
                           "interview_date": TODAY.isoformat(), "job_description": "a\x00b"}, today=TODAY)
