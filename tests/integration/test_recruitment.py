"""Recruitment involvement through the services and the link pages, on SQLite and PostgreSQL.

Longer than ~300 lines on purpose: one recruitment from start to close is one story, told in order.

The wait lasts weeks, so the test moves `involve.clock.OFFSET` instead of sleeping: the
recruitment starts 20 days before today's interview, and each step happens "later".
"""
from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from involve import audit, clock
from involve.db import dispose_engines, reader, unit_of_work
from involve.domain.dates import LONDON, london_today
from involve.domain.recruitment_schema import parse_recruitment
from involve.errors import InvolveError, NotAllowed, WrongState
from involve.mail.render import render
from involve.services import (
    activity_claims,
    processing,
    recruitment,
    recruitment_hr,
    recruitment_replies,
    training,
)
from involve.services.people import add_person, add_staff
from involve.services.recruitment_panel import REMINDER_TIME, advance_due, due_count
from involve.views.recruitment import describe
from involve.web import link_pages
from models import AuditRecord, Claim, LinkToken, OutboxEmail, PanelMember

HR, COORD, LEAD = "hr@example.nhs.uk", "coord@example.nhs.uk", "lead@example.nhs.uk"
ANN, BOB, CAT, DAN, EVE, FAY, GUS = (f"{n}@example.org"
                                     for n in ("ann", "bob", "cat", "dan", "eve", "fay", "gus"))
TODAY = london_today(datetime.now(UTC))
SERVICE = "Community Recovery Team"


def at(days: float, monkeypatch) -> datetime:
    """Move the clock to `days` from the real now (negative: the past); returns the new now."""
    monkeypatch.setattr(clock, "OFFSET", timedelta(days=days))
    return clock.now()


def setup_register() -> None:
    with unit_of_work() as s:
        add_staff(s, email=HR, name="HR", roles=["hr"])
        add_staff(s, email=COORD, name="Coord", roles=["coordinator"])
        add_staff(s, email=LEAD, name="Lead", roles=["lead"])
        add_person(s, email=ANN, name="Ann", borough="havering", recruitment_consent=True, gender="female",
                   panel_trained_on=TODAY - timedelta(days=300))
        add_person(s, email=BOB, name="Bob", borough="redbridge", recruitment_consent=True, age_band="65+")
        add_person(s, email=CAT, name="Cat", borough="havering", recruitment_consent=True,
                   unavailable=[TODAY], ethnic_group="Asian British")
        add_person(s, email=DAN, name="Dan", borough="havering", recruitment_consent=True,
                   conflicts=[SERVICE], learning_disability=True)
        add_person(s, email=EVE, name="Eve", borough="waltham_forest", recruitment_consent=True,
                   ethnic_group="Black British")
        add_person(s, email=FAY, name="Fay", borough="redbridge", recruitment_consent=True)
        add_person(s, email=GUS, name="Gus", borough="havering", recruitment_consent=False, age_band="18-24")


def start(now: datetime, **kw) -> str:
    data = {"title": "Band 6 Community Psychiatric Nurse", "staff_group": "cpn", "borough": "havering",
            "service": SERVICE, "interview_date": TODAY.isoformat(), "panel_size": 2,
            "job_description": "Draft: you will support people in their recovery.",
            "decision_rule": "The panel's scores count for a third of the decision.", **kw}
    return recruitment.start(parse_recruitment(data, today=london_today(now)), by=HR, now=now).reference


def mails(template: str | None = None, to: str | None = None) -> list[OutboxEmail]:
    with reader() as s:
        stmt = select(OutboxEmail).order_by(OutboxEmail.id)
        if template:
            stmt = stmt.where(OutboxEmail.template == template)
        if to:
            stmt = stmt.where(OutboxEmail.to_addr == to)
        return list(s.execute(stmt).scalars())


def counts() -> tuple[int, int, int]:
    with reader() as s:
        return (s.execute(select(func.count()).select_from(OutboxEmail)).scalar_one(),
                s.execute(select(func.count()).select_from(PanelMember)).scalar_one(),
                s.execute(select(func.count()).select_from(AuditRecord)).scalar_one())


def signed(url: str) -> str:
    return url.rsplit("/act/", 1)[1]


def link(template: str, to: str, key: str) -> str:
    [mail] = mails(template, to)
    return mail.context[key]


def statuses(*references: str) -> list[str]:
    with reader() as s:
        found = dict(s.execute(select(Claim.reference, Claim.status).where(Claim.reference.in_(references))).all())
    return [found.get(r) for r in references]


def panel(ref: str) -> dict[str, str]:
    return {m["email"]: m["status"] for m in describe(ref)["panel"]}


@pytest.fixture
def web() -> TestClient:
    app = FastAPI()
    app.include_router(link_pages.router)
    return TestClient(app)


def test_recruitment_from_start_to_close(db, monkeypatch, web):
    setup_register()
    now = at(-20, monkeypatch)
    ref = start(now)
    assert ref.startswith(f"REC-{now.year}-")
    assert due_count() == 1
    assert advance_due()["invited"] == 2
    # diversity first (Ann: women, from the borough; Bob: older people); never Cat (busy), Dan
    # (conflict with the team) or Gus (no consent)
    assert panel(ref) == {ANN: "invited", BOB: "invited"}
    for m in mails("recruitment_invitation"):
        subject, text, html = render(m.template, m.context)
        assert ref in subject
        assert f"Accept: {m.context['accept_url']}" in text and f"Decline: {m.context['decline_url']}" in text

    # a restart: new engines, the step again at the same moment -> nothing repeats
    before = counts()
    dispose_engines()
    assert advance_due() == {} and advance_due(everything=True).get("invited", 0) == 0
    assert counts()[:2] == before[:2]

    # a day later: Ann accepts through her link's page (GET shows, POST acts); Bob declines
    at(-19, monkeypatch)
    accept = link("recruitment_invitation", ANN, "accept_url")
    page = web.get(f"/act/{signed(accept)}")
    assert page.status_code == 200 and "Join the interview panel" in page.text
    assert 'method="post"' in page.text
    assert panel(ref)[ANN] == "invited"  # the GET changed nothing
    assert web.post(f"/act/{signed(accept)}", data={"confirm": "yes"}).status_code == 200
    assert web.get(f"/act/{signed(accept)}").status_code == 410  # works once
    decline = link("recruitment_invitation", BOB, "decline_url")
    assert web.post(f"/act/{signed(decline)}", data={"reason": "Away that week"}).status_code == 200
    assert web.get(f"/act/{signed(link('recruitment_invitation', BOB, 'accept_url'))}").status_code == 409
    assert panel(ref) == {ANN: "accepted", BOB: "declined"}

    done = advance_due()
    assert (done["invited"], done["jd_requests"], done["question_requests"]) == (1, 1, 1)
    assert panel(ref)[EVE] == "invited"  # the replacement: BME, not yet on the panel
    assert [m.to_addr for m in mails("recruitment_jd_request")] == [ANN]
    assert mails("recruitment_training_booked") == []  # Ann's training is valid on the day

    # a week later Eve has not answered: her invitation expires and Fay (the last one left) is asked
    at(-13, monkeypatch)
    assert due_count() == 1
    done = advance_due()
    assert (done["expired"], done["invited"]) == (1, 1)
    assert panel(ref) == {ANN: "accepted", BOB: "declined", EVE: "expired", FAY: "invited"}
    with pytest.raises(WrongState):  # an expired invitation cannot be accepted
        recruitment_replies.accept(signed(link("recruitment_invitation", EVE, "accept_url")))
    recruitment_replies.accept(signed(link("recruitment_invitation", FAY, "accept_url")))
    done = advance_due()  # Fay has no panel training and there is no session: HR and co-ordinators are told
    assert done["alerts"] == 1
    assert sorted(m.to_addr for m in mails("recruitment_training_needed")) == [COORD, HR]

    before = counts()
    dispose_engines()  # another restart, mid-wait
    advance_due(everything=True)
    assert counts()[:2] == before[:2]

    # HR adds a session before the interview: Fay is booked on it at the next step
    now = at(-12, monkeypatch)
    session = training.add_session(day=TODAY - timedelta(days=5), start="10:00", end="12:00", capacity=1,
                                   by=HR)
    assert advance_due()["booked"] == 1
    [booked] = mails("recruitment_training_booked", FAY)
    assert ref in render(booked.template, booked.context)[0]
    fay = next(m for m in describe(ref)["panel"] if m["email"] == FAY)
    assert (fay["training_session"], fay["trained_until"]) == (session.id, None)
    assert advance_due(everything=True).get("booked", 0) == 0

    # the job description and the questions, through the links
    comment_url = link("recruitment_jd_request", ANN, "comment_url")
    texts = ["Say that lived experience is valued.", "", "Use plainer words."]
    comment_ids = recruitment_replies.comment(signed(comment_url), texts)
    assert len(comment_ids) == 2
    recruitment_hr.decide_comment(ref, comment_ids[0], accept=True, reason="Added to the person spec", by=HR)
    recruitment_hr.decide_comment(ref, comment_ids[1], accept=False, reason="Wording is set by the banding",
                                  by=HR)
    with pytest.raises(InvolveError, match="reason"):
        recruitment_hr.decide_comment(ref, comment_ids[1], accept=True, reason=" ", by=HR)
    with reader() as s:  # audit action names in full (they were cut to "comment_declin")
        actions = set(s.execute(select(AuditRecord.action).where(AuditRecord.reference == ref)).scalars())
    assert {"comment_accept", "comment_decline"} <= actions
    assert mails("recruitment_jd_decision") == []  # told once the final text exists
    assert recruitment_hr.finalise_jd(ref, "Final text", comment_ids=None, by=HR) == [comment_ids[0]]
    [decision] = mails("recruitment_jd_decision", ANN)  # the member hears each decision, why, and the final text
    subject, text, _html = render(decision.template, decision.context)
    assert ref in subject
    assert "Say that lived experience is valued." in text and "Added to the person spec" in text
    assert "it shaped the final job description" in text
    assert "Use plainer words." in text and "not taken up" in text and "Wording is set by the banding" in text
    assert "Final text" in text
    q_ids = recruitment_replies.propose(signed(link("recruitment_questions_request", ANN, "propose_url")),
                                        ["How do you make someone feel heard?"])
    recruitment_hr.mark_used(ref, q_ids[0], by=HR)
    recruitment_hr.mark_used(ref, q_ids[0], by=HR)  # idempotent

    # training day, then the reminders two days before the interview
    at(-5, monkeypatch)
    _, training_claim = training.attend(session.id, member=FAY, by=HR)
    # a minute after the reminders are due (the policy's 2 days before, at REMINDER_TIME London): a
    # fixed offset such as "1.9 days ago" fell before 08:00 when the test ran between midnight and 05:36
    due = datetime.combine(TODAY - timedelta(days=2), REMINDER_TIME, tzinfo=LONDON) + timedelta(minutes=1)
    at((due - datetime.now(UTC)) / timedelta(days=1), monkeypatch)
    assert advance_due()["reminders"] == 2
    assert advance_due(everything=True).get("reminders", 0) == 0
    for m in mails("recruitment_reminder"):
        assert ref in render(m.template, m.context)[0]

    # the interview day (today): attendance creates interview_panel claims, pre-filled, that wait for
    # each person to confirm them (nothing declared for them); nothing is processed until they do
    at(0, monkeypatch)
    with pytest.raises(NotAllowed):
        recruitment.attend(ref, member=ANN, by=LEAD)
    _, ann_claim = recruitment.attend(ref, member=ANN, by=HR)
    _, fay_claim = recruitment.attend(ref, member=FAY, by=HR)
    with pytest.raises(WrongState):
        recruitment.attend(ref, member=ANN, by=HR)
    with pytest.raises(WrongState):
        recruitment.attend(ref, member=EVE, by=HR)
    assert processing.process_batch() == []
    assert statuses(training_claim, ann_claim, fay_claim) == ["awaiting_confirmation"] * 3
    thanks = mails("recruitment_thanks", ANN)[0]
    subject, text, _html = render(thanks.template, thanks.context)
    confirm_url, withdraw_url = thanks.context["confirm_url"], thanks.context["withdraw_url"]
    assert ref in subject and ann_claim in subject and "/claim?" not in text
    assert f"Confirm: {confirm_url}" in text.splitlines() and f"Withdraw: {withdraw_url}" in text.splitlines()

    # Ann's Confirm: page shows the activity and the form; the declaration is not ticked for her
    page = web.get(f"/act/{signed(confirm_url)}")
    assert page.status_code == 200 and "Interview panel: Band 6 Community Psychiatric Nurse" in page.text
    assert ann_claim in page.text and ref in page.text and "An interview panel" in page.text
    assert not re.search(r'<input[^>]*name="declaration"[^>]*checked', page.text)
    # sending it as it comes (fee, no costs, pay arranged later) without the declaration: an error
    # summary, and nothing changed
    plain = {"fee": "yes", "method": "later", "decision": "confirm"}
    bad = web.post(f"/act/{signed(confirm_url)}", data=plain)
    assert bad.status_code == 400 and "There is a problem" in bad.text and 'href="#declaration"' in bad.text
    bad = web.post(f"/act/{signed(confirm_url)}", data=dict(
        plain, declaration="yes", taxi="600", method="bank_transfer", account_name="Ann", account_number="123"))
    assert bad.status_code == 400 and "£500 at most" in bad.text and "account number with 8 numbers" in bad.text
    assert 'value="600"' in bad.text  # her answers are kept
    assert statuses(ann_claim) == ["awaiting_confirmation"]
    # then properly: costs, a bank transfer and the declaration
    answers = dict(plain, public_transport="4.50", car_miles="10", car_passengers="1", method="bank_transfer",
                   account_name="Ann Example", sort_code="12 34 56", account_number="12345678", declaration="yes")
    done = web.post(f"/act/{signed(confirm_url)}", data=answers)
    assert done.status_code == 200 and ann_claim in done.text
    assert web.post(f"/act/{signed(confirm_url)}", data=answers).status_code == 410  # the link works once
    with pytest.raises(WrongState):  # and the claim has moved on: a co-ordinator cannot confirm it again
        activity_claims.confirm(ann_claim, {"fee": {"claimed": True}, "declaration": True}, by=COORD)

    # Fay confirms her training claim without the fee (costs only, a voucher) and withdraws the panel one
    [fay_training] = mails("training_thanks", FAY)
    t_subject, t_text, _ = render(fay_training.template, fay_training.context)
    assert training_claim in t_subject and f"TRN-{session.id}" in t_subject
    t_url = fay_training.context["confirm_url"]
    assert f"Confirm: {t_url}" in t_text.splitlines()
    assert web.post(f"/act/{signed(t_url)}", data={"fee": "no", "method": "voucher", "declaration": "yes"}
                    ).status_code == 400  # no fee and no costs: nothing to pay
    assert web.post(f"/act/{signed(t_url)}", data={"fee": "no", "public_transport": "£3.20", "method": "voucher",
                                                   "declaration": "yes"}).status_code == 200
    fay_withdraw = signed(link("recruitment_thanks", FAY, "withdraw_url"))
    assert "Withdraw your claim" in web.get(f"/act/{fay_withdraw}").text
    assert web.post(f"/act/{fay_withdraw}", data={"decision": "withdraw"}).status_code == 200
    assert web.get(f"/act/{signed(link('recruitment_thanks', FAY, 'confirm_url'))}").status_code == 409
    assert statuses(training_claim, ann_claim, fay_claim) == ["submitted", "submitted", "withdrawn"]

    # confirmed claims follow the claims flow: one claim each, amounts, no duplicate flag
    assert sorted(processing.process_batch()) == sorted([training_claim, ann_claim])
    with reader() as s:
        claims = {c.reference: c for c in s.execute(select(Claim)).scalars()}
        ann_lines = [(x.kind, x.claimed_amount, x.miles, x.passengers) for x in claims[ann_claim].expenses]
    assert len(claims) == 3
    ann_row = claims[ann_claim]
    assert (ann_row.activity_kind, ann_row.status) == ("interview_panel", "awaiting_approval")
    assert ann_row.activity_reference == ref and ann_row.source == "recruitment"
    assert ann_row.fee_claimed and ann_row.fee_amount > 0 and ann_row.expenses_amount == Decimal("9.50")
    assert ann_lines == [("public_transport", Decimal("4.50"), None, 0), ("mileage", None, Decimal("10.00"), 1)]
    assert (ann_row.payment_method, ann_row.bank_details_masked) == ("bank_transfer", "******78")
    assert "duplicate_suspected" not in ann_row.flags
    t_row = claims[training_claim]
    assert (t_row.activity_kind, t_row.status, t_row.fee_amount, t_row.expenses_amount) == (
        "training_received", "awaiting_approval", Decimal("0.00"), Decimal("3.20"))
    with reader() as s:
        trail = {(r.reference, r.action): r for r in s.execute(select(AuditRecord).where(
            AuditRecord.entity == "claim")).scalars()}
    assert (trail[(ann_claim, "prepare")].actor, trail[(ann_claim, "prepare")].to_status) == (
        HR, "awaiting_confirmation")
    confirmed = trail[(ann_claim, "confirm")]
    assert (confirmed.actor, confirmed.from_status, confirmed.to_status) == (ANN, "awaiting_confirmation",
                                                                             "submitted")
    assert confirmed.data["person"].startswith("PER-") and "12345678" not in str(confirmed.data)
    assert (trail[(fay_claim, "withdraw")].actor, trail[(fay_claim, "withdraw")].to_status) == (FAY, "withdrawn")

    # feedback and close
    recruitment_hr.record_score(ref, member=ANN, candidate="A", question_id=q_ids[0], score=4, comment="Warm",
                                by=HR)
    recruitment_hr.record_score(ref, member=FAY, candidate="A", question_id=q_ids[0], score=5, comment=None,
                                by=HR)
    with pytest.raises(WrongState):
        recruitment_hr.record_score(ref, member=ANN, candidate="A", question_id=q_ids[0], score=3,
                                    comment=None, by=HR)
    with pytest.raises(InvolveError):
        recruitment_hr.record_score(ref, member=ANN, candidate="B", question_id=q_ids[0], score=6,
                                    comment=None, by=HR)
    recruitment.close(ref, outcome="Candidate A appointed", panel_view="Panel scores agreed with managers",
                      by=HR)
    shown = describe(ref)
    assert shown["status"] == "closed" and shown["score_summary"] == {"A": {"count": 2, "mean": "4.50"}}
    assert shown["invited"] == [ANN, BOB, EVE, FAY]
    assert panel(ref) == {ANN: "attended", BOB: "declined", EVE: "expired", FAY: "attended"}
    assert shown["final_comment_ids"] == [comment_ids[0]]
    assert [q["used"] for q in shown["questions"]] == [True]

    # every email rendered, carries its reference, and nothing was sent twice
    for m in mails():
        assert m.reference in render(m.template, m.context)[0]
    keys = [m.dedupe_key for m in mails()]
    assert len(keys) == len(set(keys))
    with reader() as s:
        assert audit.verify(s).ok
        records = list(s.execute(select(AuditRecord).where(AuditRecord.entity == "recruitment")).scalars())
    assert {"start", "invite", "accept", "decline", "expire", "training_alert", "book_training", "comment",
            "jd_final", "remind", "attend", "score", "close"} <= {r.action for r in records}
    people = (ANN, BOB, CAT, DAN, EVE, FAY, GUS)
    assert not any(p in str(r.data) or p == r.actor for r in records for p in people)


def test_monthly_cap_and_shortfall(db, monkeypatch, tmp_path):
    policy = tmp_path / "policy.toml"
    from involve.settings import DEFAULT_POLICY_FILE

    text = DEFAULT_POLICY_FILE.read_text()
    policy.write_text(text.replace("max_panels_per_month = 2", "max_panels_per_month = 1"))
    monkeypatch.setenv("INVOLVE_POLICY_FILE", str(policy))
    from involve import settings as settings_module

    settings_module.reset_settings()
    with unit_of_work() as s:
        add_staff(s, email=HR, name="HR", roles=["hr"])
        add_staff(s, email=COORD, name="Coord", roles=["coordinator"])
        add_person(s, email=ANN, name="Ann", borough="havering", recruitment_consent=True,
                   panel_trained_on=TODAY - timedelta(days=10))
    now = at(-10, monkeypatch)
    first = start(now, panel_size=1)
    second = start(now, panel_size=1, title="Band 7 Psychologist", staff_group="psychologist")
    advance_due()
    assert panel(first) == {ANN: "invited"}
    assert panel(second) == {}  # Ann already holds her one seat that month
    assert [m.to_addr for m in mails("recruitment_shortfall")] == [COORD, HR]
    assert advance_due(everything=True).get("alerts", 0) == 0  # told once


def test_roles_and_states(db, monkeypatch):
    setup_register()
    now = at(-3, monkeypatch)
    with pytest.raises(NotAllowed):
        recruitment.start(parse_recruitment({"title": "X", "staff_group": "nurse", "borough": "havering",
                                             "interview_date": TODAY.isoformat()}, today=TODAY), by=LEAD)
    ref = start(now)
    with pytest.raises(NotAllowed):
        training.add_session(day=TODAY, start="10:00", end="12:00", capacity=3, by=LEAD)
    with pytest.raises(InvolveError):
        training.add_session(day=TODAY, start="12:00", end="10:00", capacity=3, by=HR)
    advance_due()
    with pytest.raises(WrongState):  # not yet the interview day, and Ann has not accepted
        recruitment.attend(ref, member=ANN, by=HR)
    recruitment.close(ref, outcome="Post withdrawn", panel_view=None, by=COORD)
    with reader() as s:
        token = s.execute(select(LinkToken).where(LinkToken.action == "accept")).scalars().first()
    assert panel(ref) == {ANN: "expired", BOB: "expired"}  # closing ends open invitations
    with pytest.raises(WrongState):
        recruitment.close(ref, outcome="Again", panel_view=None, by=HR)
    assert token is not None and due_count() == 0


def test_a_coordinator_confirms_or_withdraws_by_phone(db, monkeypatch):
    """`involve claims confirm|withdraw REF --by E`: for someone who answers by phone."""
    import json

    from typer.testing import CliRunner

    from involve.cli.main import app

    def cli(*args: str):
        return CliRunner().invoke(app, list(args))

    setup_register()
    at(-3, monkeypatch)
    session = training.add_session(day=TODAY - timedelta(days=1), start="10:00", end="12:00", capacity=3, by=HR)
    at(0, monkeypatch)
    _, ann_claim = training.attend(session.id, member=ANN, by=HR)
    _, bob_claim = training.attend(session.id, member=BOB, by=HR)
    r = cli("claims", "list", "--status", "awaiting_confirmation", "--json")
    assert r.exit_code == 0 and {c["reference"] for c in json.loads(r.stdout)} == {ann_claim, bob_claim}

    r = cli("claims", "confirm", ann_claim, "--by", LEAD)
    assert r.exit_code == 2 and len(r.stderr.strip().splitlines()) == 1  # co-ordinators only
    r = cli("claims", "confirm", ann_claim, "--by", COORD, "--expense", "taxi=900")
    assert r.exit_code == 2 and "500" in r.stderr  # the claim's rules hold; nothing changed
    r = cli("claims", "confirm", ann_claim, "--by", COORD, "--expense", "public_transport=2.40",
            "--payment-method", "voucher", "--json")
    assert r.exit_code == 0, r.output
    assert (json.loads(r.stdout)["status"], json.loads(r.stdout)["payment_method"]) == ("submitted", "voucher")
    again = cli("claims", "confirm", ann_claim, "--by", COORD)
    assert again.exit_code == 2 and "submitted" in again.stderr
    assert cli("claims", "withdraw", bob_claim, "--by", COORD).exit_code == 0
    assert cli("claims", "withdraw", bob_claim, "--by", COORD).exit_code == 2

    assert processing.process_batch() == [ann_claim]  # the withdrawn claim is never processed
    r = cli("claims", "show", ann_claim, "--json")
    shown = json.loads(r.stdout)
    assert (shown["status"], shown["expenses_amount"]) == ("awaiting_approval", "2.40")
    confirm = next(h for h in shown["history"] if h["action"] == "confirm")
    assert (confirm["actor"], confirm["reason"], confirm["to_status"]) == (COORD, "confirmed by phone",
                                                                          "submitted")
    # Bob's own links no longer work on a withdrawn claim
    [bob_mail] = mails("training_thanks", BOB)
    web = TestClient(FastAPI())
    web.app.include_router(link_pages.router)
    assert web.get(f"/act/{signed(bob_mail.context['confirm_url'])}").status_code == 409


def test_api_needs_a_signed_staff_token_with_an_hr_role(db, monkeypatch):
    from involve.services.staff_tokens import issue_token
    from involve.web import recruitment_api

    setup_register()
    app = FastAPI()
    app.include_router(recruitment_api.router)
    client = TestClient(app)
    body = {"title": "Social Worker", "staff_group": "social_worker", "borough": "redbridge",
            "interview_date": (TODAY + timedelta(days=14)).isoformat(), "panel_size": 3}
    assert client.post("/api/recruitments", json=body).status_code == 401
    forged = issue_token(HR, by=HR) + "x"
    assert client.post("/api/recruitments", json=body, headers={"Authorization": f"Bearer {forged}"}
                       ).status_code == 401
    lead = {"Authorization": f"Bearer {issue_token(LEAD, by=LEAD)}"}
    assert client.post("/api/recruitments", json=body, headers=lead).status_code == 403
    hr = {"Authorization": f"Bearer {issue_token(HR, days=1, by=HR)}"}
    bad = client.post("/api/recruitments", json=dict(body, panel_size=9), headers=hr)
    assert bad.status_code == 422 and bad.json()["errors"][0]["field"] == "panel_size"
    assert client.post("/api/recruitments", content=b"x", headers=dict(hr, **{"content-type": "text/plain"})
                       ).status_code == 415
    r = client.post("/api/recruitments", json=body, headers=hr)
    assert r.status_code == 201 and r.json()["status"] == "open"
    ref = r.json()["reference"]
    shown = client.get(f"/api/recruitments/{ref}", headers=hr).json()
    assert (shown["reference"], shown["panel_size"], shown["created_by"]) == (ref, 3, HR)
    assert client.get("/api/recruitments/REC-1999-0001", headers=hr).status_code == 404
    assert client.get(f"/api/recruitments/{ref}", headers=lead).status_code == 403
    with pytest.raises(NotAllowed):
        issue_token("nobody@example.nhs.uk", by="nobody@example.nhs.uk")
