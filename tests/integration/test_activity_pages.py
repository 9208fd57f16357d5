"""The staff activity pages in-process: organise an activity with invitations from the form (a refusal
keeps the answers and changes nothing), record attendance (the person's claim, awaiting confirmation)
and an output, as the signed-in member."""
from __future__ import annotations

from datetime import UTC, datetime

from fastapi.testclient import TestClient
from sqlalchemy import func, select

from involve.db import reader, unit_of_work
from involve.domain.dates import london_today
from involve.services.people import add_person, add_staff
from involve.views.programme import activity
from involve.web.app import create_app
from models import Activity, Claim
from tests.integration.test_plan_page import csrf, sign_in

COORD, FIN, ANN = "coord@example.nhs.uk", "fin@example.nhs.uk", "ann@example.org"


def count(model) -> int:
    with reader() as s:
        return s.execute(select(func.count()).select_from(model)).scalar_one()


def test_organise_invite_attend_and_record_output(db):
    with unit_of_work() as s:
        add_staff(s, email=COORD, name="Coord", roles=["coordinator"])
        add_staff(s, email=FIN, name="Fin", roles=["finance"])
        add_person(s, email=ANN, name="Ann", borough="havering")
    today = london_today(datetime.now(UTC)).isoformat()
    form = {"kind": "ward_visit", "title": "Ward 3 visit", "date": today, "start": "10:00", "end": "12:00",
            "borough": "havering", "service": "Inpatient wards", "invite": ANN}
    with TestClient(create_app()) as c:
        sign_in(c, FIN)
        assert c.get("/staff/activities").status_code == 403
        c.post("/staff/sign-out")
        sign_in(c, COORD)
        page = c.get("/staff/activities")
        assert page.status_code == 200 and "Organise an activity" in page.text
        token = csrf(page)
        bad = c.post("/staff/activities", data={**form, "csrf_token": token, "invite": "nobody@example.org"})
        assert bad.status_code == 409 and "not in the involvement register" in bad.text and "Ward 3 visit" in bad.text
        assert count(Activity) == 0
        r = c.post("/staff/activities", data={**form, "csrf_token": token})
        assert r.status_code == 200 and "Activity created" in r.text
        with reader() as s:
            ref = s.execute(select(Activity.reference)).scalar_one()
        assert ref in r.text and "Record attendance" in r.text
        r = c.post(f"/staff/activities/{ref}/attended", data={"csrf_token": token, "person": ANN})
        assert r.status_code == 200 and "Attendance recorded" in r.text
        again = c.post(f"/staff/activities/{ref}/attended", data={"csrf_token": token, "person": ANN})
        assert again.status_code == 409 and "already recorded" in again.text
        r = c.post(f"/staff/activities/{ref}/output", data={"csrf_token": token, "output": "Calm ward; garden locked."})
        assert r.status_code == 200 and "Calm ward; garden locked." in r.text
    shown = activity(ref)
    assert shown["attended"] == [ANN] and shown["output"] == "Calm ward; garden locked."
    with reader() as s:
        claim = s.execute(select(Claim)).scalar_one()
    assert (claim.status, claim.activity_kind, claim.activity_reference) == ("awaiting_confirmation", "ward_visit", ref)
