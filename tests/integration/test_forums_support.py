"""User forums (create, members, meetings, the monthly report to each forum's contact) and support
(unmet need, buddy pairs, admin-support requests) through the CLI: audited, refusals change nothing."""

from __future__ import annotations

import asyncio
import json
from datetime import UTC, datetime

from sqlalchemy import select, text
from typer.testing import CliRunner

from flows.reports import forum_report
from involve.cli.main import app
from involve.db import get_engine, reader, unit_of_work
from involve.domain.dates import london_today
from involve.i18n import format_month
from involve.mail.render import render
from involve.services.people import add_person, add_staff
from models import OutboxEmail

COORD, CONTACT, FIN = "coord@example.nhs.uk", "forum.chair@example.nhs.uk", "fin@example.nhs.uk"
ANN, BOB = "ann@example.org", "bob@example.org"
runner = CliRunner()


def run(*args: str):
    return runner.invoke(app, list(args))


def setup() -> None:
    with unit_of_work() as s:
        add_staff(s, email=COORD, name="Coord", roles=["coordinator"])
        add_staff(s, email=FIN, name="Fin", roles=["finance"])
        add_person(s, email=ANN, name="Ann", borough="havering")
        add_person(s, email=BOB, name="Bob", borough="havering")


def audits(entity: str) -> list[str]:
    with get_engine().connect() as c:
        return [a for (a,) in c.execute(text("SELECT action FROM audit_records WHERE entity = :e ORDER BY seq"),
                                        {"e": entity})]


def test_forums_members_meetings_and_the_monthly_email(db, tmp_path):
    setup()
    r = run("forum", "create", "--name", "Havering User Forum", "--borough", "havering", "--service",
            "Community Recovery Team", "--contact", CONTACT, "--by", COORD, "--json")
    assert r.exit_code == 0, r.output
    ref = json.loads(r.stdout)["reference"]
    assert run("forum", "create", "--name", "havering user forum", "--borough", "havering", "--by", COORD
               ).exit_code == 2
    assert run("forum", "create", "--name", "X", "--borough", "camden", "--by", COORD).exit_code == 2
    assert run("forum", "create", "--name", "Y", "--borough", "havering", "--by", FIN).exit_code == 2
    assert run("forum", "add-member", ref, "--person", ANN, "--by", COORD).exit_code == 0
    assert run("forum", "add-member", ref, "--person", ANN, "--by", COORD).exit_code == 2
    today = london_today(datetime.now(UTC)).isoformat()
    r = run("activity", "create", "--kind", "forum_meeting", "--title", "Forum meeting", "--date", today,
            "--start", "10:00", "--end", "12:00", "--borough", "havering", "--forum", ref, "--by", COORD)
    assert r.exit_code == 0, r.output
    [forum] = json.loads(run("forum", "list", "--json").stdout)
    assert (forum["members"], forum["meetings"], forum["contact"]) == (1, 1, CONTACT)
    assert audits("forum") == ["create", "add_member"]

    result = asyncio.run(forum_report.fn(month=today[:7], out_root=str(tmp_path)))
    assert result["forums_emailed"] == 1
    again = asyncio.run(forum_report.fn(month=today[:7], out_root=str(tmp_path)))
    assert again["forums_emailed"] == 0  # once per forum and month
    with reader() as s:
        [mail] = s.execute(select(OutboxEmail).where(OutboxEmail.template == "forum_report")).scalars()
    subject, body, _html = render(mail.template, mail.context)
    month = format_month(today[:7], "en")  # "November 2026"
    assert mail.to_addr == CONTACT and ref in subject and month in subject and month in body
    assert "Payments made: 0" in body and "Money paid: £0.00" in body and "Ann" not in body and ANN not in body


def test_a_forum_contact_in_the_register_gets_the_report_in_their_language(db, tmp_path):
    """A service user chairing a forum reads the monthly figures in the language they asked for."""
    setup()
    with unit_of_work() as s:
        s.execute(text("UPDATE people SET language = 'ro' WHERE email = :e"), {"e": ANN})
    assert run("forum", "create", "--name", "Redbridge User Forum", "--borough", "redbridge",
               "--contact", ANN, "--by", COORD).exit_code == 0
    month = london_today(datetime.now(UTC)).isoformat()[:7]
    assert asyncio.run(forum_report.fn(month=month, out_root=str(tmp_path)))["forums_emailed"] == 1
    with reader() as s:
        [mail] = s.execute(select(OutboxEmail).where(OutboxEmail.template == "forum_report")).scalars()
    subject, body, html = render(mail.template, mail.context)
    assert mail.to_addr == ANN and mail.context["language"] == "ro"
    assert "Stimate contact al forumului," in body and format_month(month, "ro") in subject
    assert 'lang="ro"' in html and "Dear forum contact" not in body + html


def test_support_is_recorded_and_audited(db):
    setup()
    r = run("unmet-need", "add", "--description", "Evening forum for people who work", "--service",
            "Community Recovery Team", "--by", COORD, "--json")
    assert r.exit_code == 0, r.output and json.loads(r.stdout)["reference"].startswith("UN-")
    assert run("unmet-need", "add", "--description", " ", "--service", "X", "--by", COORD).exit_code == 2
    assert run("unmet-need", "add", "--description", "x", "--service", "X", "--by", FIN).exit_code == 2
    r = run("buddy", "pair", "--buddy", ANN, "--person", BOB, "--by", COORD, "--json")
    assert r.exit_code == 0, r.output
    assert run("buddy", "pair", "--buddy", ANN, "--person", BOB, "--by", COORD).exit_code == 2
    assert run("buddy", "pair", "--buddy", ANN, "--person", ANN, "--by", COORD).exit_code == 2
    r = run("support", "request", "--person", BOB, "--kind", "travel_booking", "--description",
            "Train to the Trust Board meeting", "--by", COORD, "--json")
    assert r.exit_code == 0 and json.loads(r.stdout)["status"] == "open"
    sid = json.loads(r.stdout)["reference"].split("-")[1]
    assert run("support", "request", "--person", BOB, "--kind", "spaceship", "--description", "x",
               "--by", COORD).exit_code == 2
    assert run("support", "status", sid, "--status", "done", "--by", COORD).exit_code == 0
    assert run("support", "status", sid, "--status", "cancelled", "--by", COORD).exit_code == 2
    assert audits("unmet_need") == ["add"] and audits("buddy") == ["pair"]
    assert audits("support") == ["request", "status"]
    with get_engine().connect() as c:
        data = " ".join(str(d) for (d,) in c.execute(text("SELECT data FROM audit_records")))
    assert "Evening forum" not in data and "Train to" not in data and ANN not in data
