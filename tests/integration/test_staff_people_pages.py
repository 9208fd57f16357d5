"""The admin's staff page and the away page: role x page (only an admin manages roles; anyone sets their
own away dates; a co-ordinator or admin for someone else), with the same rules as the commands."""
from __future__ import annotations

from datetime import timedelta

import pytest
from fastapi.testclient import TestClient

from involve import clock
from involve.db import unit_of_work
from involve.services.people import add_staff
from involve.views.staff import list_staff
from involve.web.app import create_app
from tests.staff_sign_in import csrf, sign_in

ADMIN, COORD, LEAD, LEAD2, FIN = ("admin@example.nhs.uk", "coord@example.nhs.uk", "lead@example.nhs.uk",
                                  "lead2@example.nhs.uk", "fin@example.nhs.uk")


@pytest.fixture
def app(db):
    with unit_of_work() as s:
        for email, roles in ((ADMIN, ["admin"]), (COORD, ["coordinator"]), (LEAD, ["lead"]), (LEAD2, ["lead"]),
                             (FIN, ["finance"])):
            add_staff(s, email=email, name=email.split("@")[0], roles=roles)
    return create_app()


def roles() -> dict:
    return {p["email"]: (p["roles"], p["active"]) for p in list_staff()}


@pytest.mark.parametrize("who,may", [(ADMIN, True), (COORD, False), (FIN, False), (LEAD, False)])
def test_only_an_admin_manages_roles_on_the_page(app, who, may):
    with TestClient(app) as c:
        sign_in(c, who)
        page = c.get("/staff/people")
        assert page.status_code == (200 if may else 403)
        token = csrf(page if may else c.get("/staff/away"))
        r = c.post("/staff/people/add", data={"csrf_token": token, "email": "new@example.nhs.uk", "name": "New",
                                              "roles": ["hr", "lead"]}, follow_redirects=False)
        assert (r.status_code == 303) == may
        assert ("new@example.nhs.uk" in roles()) == may
        if may:
            c.post("/staff/people/remove", data={"csrf_token": token, "email": "new@example.nhs.uk", "role": "hr"})
            c.post("/staff/people/deactivate", data={"csrf_token": token, "email": LEAD2})
            assert roles()["new@example.nhs.uk"] == (["lead"], True) and roles()[LEAD2][1] is False
            bad = c.post("/staff/people/add", data={"csrf_token": token, "email": "x@example.nhs.uk", "name": "X"})
            assert bad.status_code == 400 and "unknown role" in bad.text


def test_away_page_for_oneself_and_by_a_coordinator(app):
    day = clock.now().date() + timedelta(days=3)
    dates = {"from[day]": day.day, "from[month]": day.month, "from[year]": day.year,  # NHS.UK date input names
             "to[day]": day.day, "to[month]": day.month, "to[year]": day.year}
    with TestClient(app) as c:
        sign_in(c, LEAD)
        page = c.get("/staff/away")
        assert page.status_code == 200 and 'name="email"' in page.text and 'type="hidden" name="email"' in page.text
        r = c.post("/staff/away", data={"csrf_token": csrf(page), "email": LEAD, "delegate": LEAD2, **dates},
                   follow_redirects=False)
        assert r.status_code == 303
        r = c.post("/staff/away", data={"csrf_token": csrf(page), "email": LEAD2, **dates})
        assert r.status_code == 400 and "cannot set away dates" in r.text
        bad = c.post("/staff/away", data={"csrf_token": csrf(page), "email": LEAD, **dates, "to[month]": "13"})
        assert bad.status_code == 400 and "real date" in bad.text
    with TestClient(app) as c:
        sign_in(c, COORD)
        page = c.get("/staff/away")
        r = c.post("/staff/away", data={"csrf_token": csrf(page), "email": LEAD2, **dates}, follow_redirects=False)
        assert r.status_code == 303
    away = {p["email"]: (p["away_from"], p["delegate"]) for p in list_staff()}
    assert away[LEAD] == (day.isoformat(), LEAD2) and away[LEAD2] == (day.isoformat(), None)
