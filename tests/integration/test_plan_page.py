"""The Action Plan staff page in-process: signed-in roles only, the list, and the update form
(CSRF, a refusal shown with nothing changed, progress recorded as the signed-in person)."""
from __future__ import annotations

import re
from pathlib import Path

from fastapi.testclient import TestClient
from sqlalchemy import select

from involve.db import reader, unit_of_work
from involve.services import plan
from involve.services.people import add_staff
from involve.views.programme import plan_action
from involve.web.app import create_app
from models import OutboxEmail

PPI, FIN = "ppi@example.nhs.uk", "fin@example.nhs.uk"
PLAN = Path(__file__).resolve().parents[2] / "involve" / "data" / "action-plan.toml"


def csrf(page) -> str:
    return re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)


def sign_in(c: TestClient, email: str) -> None:
    c.post("/staff/sign-in", data={"csrf_token": csrf(c.get("/staff/sign-in")), "email": email})
    with reader() as s:
        mail = s.execute(select(OutboxEmail).where(OutboxEmail.template == "staff_signin",
                                                   OutboxEmail.to_addr == email)).scalars().all()[-1]
    link = mail.context["signin_url"].removeprefix("http://testserver")
    c.post(link, data={"csrf_token": csrf(c.get(link))}, follow_redirects=False)


def test_plan_page_lists_and_updates(db):
    with unit_of_work() as s:
        add_staff(s, email=PPI, name="PPI Lead", roles=["ppi_lead"])
        add_staff(s, email=FIN, name="Fin", roles=["finance"])
    plan.load(PLAN, by=PPI)
    with TestClient(create_app()) as c:
        assert c.get("/staff/plan", follow_redirects=False).headers["location"] == "/staff/sign-in"
        sign_in(c, FIN)
        assert c.get("/staff/plan").status_code == 403
        c.post("/staff/sign-out")
        sign_in(c, PPI)
        page = c.get("/staff/plan")
        assert page.status_code == 200 and "User forums in every major service." in page.text
        assert 'href="/staff/plan"' in page.text
        token = csrf(page)
        assert c.post("/staff/plan/update", data={"action": "5.1", "status": "done", "note": "x"}).status_code == 403
        bad = c.post("/staff/plan/update", data={"csrf_token": token, "action": "5.1", "status": "done", "note": " "})
        assert bad.status_code == 409 and "note is required" in bad.text
        assert plan_action("5.1")["updates"] == []
        r = c.post("/staff/plan/update", data={"csrf_token": token, "action": "5.1", "status": "on_track",
                                               "note": "Forums in Havering and Redbridge"})
        assert r.status_code == 200 and "Progress recorded for action 5.1" in r.text
    [u] = plan_action("5.1")["updates"]
    assert (u["status"], u["by"], u["note"]) == ("on_track", PPI, "Forums in Havering and Redbridge")
