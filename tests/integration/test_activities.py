"""Involvement activities through the CLI, the link pages and the claims flow (SQLite and PostgreSQL):
a forum meeting with three people invited, two accept, attendance makes two claims awaiting
confirmation (the same mechanism as panels), one is confirmed, approved and paid, and the annual
report counts the meeting, the people and the money as independent SQL does. Bad input is refused
with nothing changed."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import func, select, text
from typer.testing import CliRunner

from involve.cli.main import app
from involve.db import get_engine, reader, unit_of_work
from involve.domain.dates import london_today
from involve.mail.render import render
from involve.reports.annual import annual_report
from involve.services import activity_claims, claims, processing
from involve.services.people import add_person, add_staff
from involve.web import link_pages
from models import ActivityInvite, AuditRecord, Claim, OutboxEmail
from tests.integration.report_expect import expected
from tests.integration.test_reports import read_csv

COORD, COORD2, FIN = "coord@example.nhs.uk", "coord2@example.nhs.uk", "fin@example.nhs.uk"
ANN, BOB, CAT, DAN = (f"{n}@example.org" for n in ("ann", "bob", "cat", "dan"))
TODAY = london_today(datetime.now(UTC))
YEAR = TODAY.year if TODAY.month >= 4 else TODAY.year - 1
runner = CliRunner()


def run(*args: str):
    return runner.invoke(app, list(args))


@pytest.fixture
def web() -> TestClient:
    api = FastAPI()
    api.include_router(link_pages.router)
    return TestClient(api)


def setup() -> None:
    with unit_of_work() as s:
        add_staff(s, email=COORD, name="Coord", roles=["coordinator"])
        add_staff(s, email=COORD2, name="Coord Two", roles=["coordinator"])
        add_staff(s, email=FIN, name="Fin", roles=["finance"])
        add_person(s, email=ANN, name="Ann", borough="havering")
        add_person(s, email=BOB, name="Bob", borough="havering", carer=True)
        add_person(s, email=CAT, name="Cat", borough="redbridge")
        add_person(s, email=DAN, name="Dan", borough="redbridge")


def invitation(to: str) -> OutboxEmail:
    with reader() as s:
        return s.execute(select(OutboxEmail).where(OutboxEmail.template == "activity_invitation",
                                                   OutboxEmail.to_addr == to)).scalar_one()


def signed(url: str) -> str:
    return url.rsplit("/act/", 1)[1]


def changes() -> tuple[int, int, int, int]:
    with get_engine().connect() as c:
        return tuple(c.execute(text(f"SELECT COUNT(*) FROM {t}")).scalar_one()
                     for t in ("activities", "activity_invites", "outbox", "audit_records"))


def create(*extra: str, day=TODAY, kind="forum_meeting"):
    return run("activity", "create", "--kind", kind, "--title", "Havering user forum, December",
               "--date", day.isoformat(), "--start", "10:00", "--end", "13:00", "--borough", "havering",
               "--service", "Community Recovery Team", "--by", COORD, *extra)


def test_forum_meeting_from_invitation_to_payment_and_report(db, web, tmp_path):
    setup()
    r = create("--invite", ANN, "--invite", BOB, "--invite", CAT, "--json")
    assert r.exit_code == 0, r.output
    shown = json.loads(r.stdout)
    ref = shown["reference"]
    assert ref.startswith("ACT-") and shown["kind"] == "forum_meeting" and shown["attended"] == []
    assert shown["invited"] == [{"email": e, "status": "invited"} for e in (ANN, BOB, CAT)]
    mail = invitation(ANN)
    subject, body, _html = render(mail.template, mail.context)
    assert "Havering user forum, December" in subject and ref in subject
    lines = body.splitlines()
    assert f"Accept: {mail.context['accept_url']}" in lines and f"Decline: {mail.context['decline_url']}" in lines
    assert "£22.00" in body and "Travel:" in body and "Access needs:" in body and "Your role:" in body

    for who in (ANN, BOB):
        url = signed(invitation(who).context["accept_url"])
        page = web.get(f"/act/{url}")
        assert page.status_code == 200 and "£22.00" in page.text
        assert web.post(f"/act/{url}", data={"decision": "accept"}).status_code == 200
        assert web.post(f"/act/{url}", data={"decision": "accept"}).status_code == 410  # once
    assert web.post(f"/act/{signed(invitation(CAT).context['decline_url'])}", data={}).status_code == 200
    statuses = {i["email"]: i["status"] for i in json.loads(run("activity", "show", ref, "--json").stdout)["invited"]}
    assert statuses == {ANN: "accepted", BOB: "accepted", CAT: "declined"}

    made = {}
    for who in (ANN, BOB):
        r = run("activity", "attend", ref, "--person", who, "--by", COORD, "--json")
        assert r.exit_code == 0, r.output
        made[who] = json.loads(r.stdout)["claim"]
    shown = json.loads(run("activity", "show", ref, "--json").stdout)
    assert sorted(shown["attended"]) == [ANN, BOB]
    with reader() as s:
        rows = {c.reference: c for c in s.execute(select(Claim)).scalars()}
        trail = {(a.reference, a.action): a for a in s.execute(select(AuditRecord)).scalars()}
    assert sorted(rows) == sorted(made.values())
    for who, cref in made.items():
        c = rows[cref]
        assert (c.status, c.claimant_email, c.activity_kind, c.activity_reference, c.source) == (
            "awaiting_confirmation", who, "forum_meeting", ref, "activity")
        assert trail[(cref, "prepare")].to_status == "awaiting_confirmation"
    assert (trail[(ref, "attend")].actor, trail[(ref, "attend")].to_status) == (COORD, "attended")

    activity_claims.confirm(made[ANN], {"fee": {"claimed": True}, "declaration": True,
                                        "expenses": [{"kind": "public_transport", "amount": "4.60"}]}, by=COORD)
    assert processing.process_batch() == [made[ANN]]
    claims.approve(made[ANN], by=COORD2)  # not COORD, who took Ann's confirmation by phone
    claims.pay(made[ANN], by=FIN, payment_ref="BACS-1")

    got = read_csv(annual_report(YEAR, tmp_path / "r", pdf=False).csv)
    with get_engine().connect() as c:
        assert got == expected(c, YEAR)  # every figure, as independent SQL gives it
        meetings = c.execute(text("SELECT COUNT(*) FROM activities WHERE kind = 'forum_meeting' "
                                  "AND date >= :lo AND date < :hi"), {"lo": f"{YEAR}-04-01",
                                                                      "hi": f"{YEAR + 1}-04-01"}).scalar_one()
        attended = c.execute(text("SELECT COUNT(*) FROM activity_invites WHERE status = 'attended'")).scalar_one()
        paid = c.execute(text("SELECT SUM(p.amount), COUNT(DISTINCT c.claimant_email) FROM payments p "
                              "JOIN claims c ON c.id = p.claim_id WHERE c.activity_kind = 'forum_meeting'")).one()
    assert meetings == 1 and attended == 2
    assert got[("activities_held", "activity_kind:forum_meeting")] == "1"
    assert got[("forum_meetings", "")] == "1"
    assert got[("activity_attendances", "")] == "2"
    assert got[("people_involved", "activity_kind:forum_meeting")] == str(paid[1]) == "1"
    assert got[("people_involved", "role:service_user")] == "1" and got[("people_involved", "role:carer")] == "0"
    assert Decimal(got[("paid_total", "activity_kind:forum_meeting")]) == Decimal(str(paid[0])) == Decimal("26.60")


def test_bad_input_is_refused_and_nothing_changes(db):
    setup()
    before = changes()
    past = TODAY - timedelta(days=3)
    r = create("--invite", ANN, day=past)
    assert r.exit_code == 2 and "past" in r.stderr and len(r.stderr.strip().splitlines()) == 1
    r = create("--invite", "nobody@example.org")
    assert r.exit_code == 2 and "register" in r.stderr
    r = run("activity", "create", "--kind", "survey", "--title", "Survey\nBcc: x", "--date", TODAY.isoformat(),
            "--start", "10:00", "--end", "11:00", "--borough", "havering", "--by", COORD)
    assert r.exit_code == 2 and "line breaks" in r.stderr
    r = create(kind="party")
    assert r.exit_code == 2 and "kind" in r.stderr
    r = create("--level", "parliament", kind="governance")
    assert r.exit_code == 2 and "level" in r.stderr
    r = create("--programme", "cpa", kind="staff_training", day=TODAY)
    assert r.exit_code == 0, r.output  # a staff-training activity in its programme
    assert changes() != before
    before = changes()
    r = create("--action", "9.9")
    assert r.exit_code == 2 and "9.9" in r.stderr
    r = create("--by", FIN)  # the later --by wins: finance cannot organise
    assert r.exit_code == 2
    assert changes() == before

    r = create("--invite", ANN, "--invite", BOB, "--json", day=TODAY + timedelta(days=7))
    ref = json.loads(r.stdout)["reference"]
    before = changes()
    r = run("activity", "attend", ref, "--person", ANN, "--by", COORD)
    assert r.exit_code == 2 and "on or after" in r.stderr
    r = run("activity", "attend", ref, "--person", DAN, "--by", COORD)
    assert r.exit_code == 2 and "not invited" in r.stderr
    assert changes() == before
    with reader() as s:
        assert s.execute(select(func.count()).select_from(Claim)).scalar_one() == 0
        assert s.execute(select(func.count()).select_from(ActivityInvite)).scalar_one() == 2

    # a past activity without invitations can be recorded, and attendance of someone not invited is refused
    r = create("--json", day=past, kind="ward_visit")
    ref = json.loads(r.stdout)["reference"]
    r = run("activity", "attend", ref, "--person", ANN, "--by", COORD)
    assert r.exit_code == 2 and "not invited" in r.stderr
    r = run("activity", "output", ref, "--text", "Ward 3: clean, calm; the garden is locked too often.",
            "--by", COORD)
    assert r.exit_code == 0, r.output
    assert json.loads(run("activity", "show", ref, "--json").stdout)["output"].startswith("Ward 3")
