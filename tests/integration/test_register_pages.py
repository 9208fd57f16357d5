"""Co-ordinators' register pages (list, search, filters, a person's page with history, edit, deactivate,
CSV without bank details) and the person's own page behind the `Update your details:` link."""
from __future__ import annotations

import csv
import io
import re

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from involve.db import reader, unit_of_work
from involve.mail.render import render
from involve.services import processing
from involve.services.people import add_person, add_staff
from involve.web.app import create_app
from models import OutboxEmail, Person
from tests.integration.test_lifecycle import submit
from tests.staff_sign_in import csrf, sign_in

COORD, FIN = "coord@example.nhs.uk", "fin@example.nhs.uk"
SAM = "sam.okafor@example.org"


@pytest.fixture
def app(db, example_claim):
    with unit_of_work() as s:
        add_staff(s, email=COORD, name="Co-ordinator", roles=["coordinator"])
        add_staff(s, email=FIN, name="Finance", roles=["finance"])
        add_person(s, email=SAM, name="Sam Okafor", borough="havering", recruitment_consent=True)
        add_person(s, email="cara@example.org", name="Cara Carer", borough="redbridge", carer=True)
    submit(example_claim)  # Sam's claim, with bank details
    processing.process_batch()
    return create_app()


def person(email: str) -> Person:
    with reader() as s:
        return s.execute(select(Person).where(Person.email == email)).scalar_one()


def test_list_search_filters_person_page_and_csv(app):
    with TestClient(app) as c:
        sign_in(c, COORD)
        page = c.get("/staff/register")
        assert page.status_code == 200 and "Sam Okafor" in page.text and "Cara Carer" in page.text
        assert "Cara Carer" not in c.get("/staff/register", params={"q": "okafor"}).text
        assert "Sam Okafor" not in c.get("/staff/register", params={"role": "carer"}).text
        assert "Cara Carer" not in c.get("/staff/register", params={"borough": "havering"}).text
        ref = f"PER-{person(SAM).id}"
        assert "Sam Okafor" in c.get("/staff/register", params={"q": ref}).text
        sam = c.get(f"/staff/register/{ref}")
        assert sam.status_code == 200 and "CLM-" in sam.text  # involvement history: the claim
        export = c.get("/staff/register.csv")
        rows = list(csv.DictReader(io.StringIO(export.text)))
        assert {r["email"] for r in rows} == {SAM, "cara@example.org"}
        assert not any(k for k in rows[0] if "bank" in k or "account" in k or "sort" in k)
        assert "66374958" not in export.text and "66374958" not in sam.text


def test_edit_and_deactivate_by_a_coordinator_not_by_finance(app):
    ref = f"PER-{person(SAM).id}"
    with TestClient(app) as fin:
        sign_in(fin, FIN)
        assert fin.get("/staff/register").status_code == 403
    with TestClient(app) as c:
        sign_in(c, COORD)
        form = c.get(f"/staff/register/{ref}/edit")
        bad = c.post(f"/staff/register/{ref}/edit", data={"csrf_token": csrf(form), "name": " ", "religion": "x"})
        assert bad.status_code == 400 and "Enter the person" in bad.text
        assert person(SAM).name == "Sam Okafor"
        r = c.post(f"/staff/register/{ref}/edit", data={
            "csrf_token": csrf(form), "name": "Sam O", "borough": "redbridge", "takes_part_as": "carer",
            "recruitment_consent": "no", "access_needs": "Step-free access", "religion": "prefer_not_to_say"},
            follow_redirects=False)
        assert r.status_code == 303
        p = person(SAM)
        assert (p.name, p.borough, p.carer, p.recruitment_consent, p.access_needs, p.religion) == (
            "Sam O", "redbridge", True, False, "Step-free access", "prefer_not_to_say")
        page = c.get(f"/staff/register/{ref}")
        c.post(f"/staff/register/{ref}/deactivate", data={"csrf_token": csrf(page)})
        assert person(SAM).active is False


def test_the_persons_own_page(app):
    ref = f"PER-{person(SAM).id}"
    with TestClient(app) as c:
        sign_in(c, COORD)
        page = c.get(f"/staff/register/{ref}")
        c.post(f"/staff/register/{ref}/link", data={"csrf_token": csrf(page)})
    with reader() as s:
        mail = s.execute(select(OutboxEmail).where(OutboxEmail.template == "register_details")).scalar_one()
    subject, text, _html = render(mail.template, mail.context)
    url = re.search(r"^Update your details: (\S+)$", text, re.M).group(1)
    link = re.sub(r"^https?://[^/]+", "", url)
    with TestClient(app) as own:
        form = own.get(link)
        assert form.status_code == 200 and "Prefer not to say" in form.text and "Religion" in form.text
        bad = own.post(link, data={"confirm": "yes", "gender": "wizard"})
        assert bad.status_code == 400 and person(SAM).gender is None
        r = own.post(link, data={"confirm": "yes", "gender": "female", "sexual_orientation": "prefer_not_to_say",
                                 "takes_part_as": "service_user", "preferred_format": "easy_read",
                                 "availability_note": "Mornings", "recruitment_consent": "yes"})
        assert r.status_code == 200 and "saved your details" in r.text
        assert own.get(link).status_code == 410  # works once
    p = person(SAM)
    assert (p.gender, p.sexual_orientation, p.preferred_format, p.availability_note) == (
        "female", "prefer_not_to_say", "easy_read", "Mornings")


def test_list_pages_through_everyone_in_name_order(app, monkeypatch):
    """The list shows REGISTER_PAGE people at a time with a `Next` link (keyset on name, id: no one
    skipped or shown twice, same names included), the count of everyone matching, filters kept."""
    from involve.views import register as register_views

    with unit_of_work() as s:
        for i, name in enumerate(["Ann Zed", "Bo Yu", "Bo Yu", "Cy Xi", "Di Wu", "Ed Vo", "Bo Yu"]):
            add_person(s, email=f"p{i}@example.org", name=name, borough="havering")
    with reader() as s:
        expected = [f"PER-{i}" for i in s.execute(select(Person.id).order_by(Person.name, Person.id)).scalars()]
    monkeypatch.setattr(register_views, "REGISTER_PAGE", 3)
    with TestClient(app) as c:
        sign_in(c, COORD)
        seen, url = [], "/staff/register"
        while url:
            page = c.get(url)
            refs = re.findall(r'href="/staff/register/(PER-\d+)"', page.text)
            assert 0 < len(refs) <= 3
            # where the page is among everyone matching: "People 4 to 6 of 8"
            assert f"People {len(seen) + 1} to {len(seen) + len(refs)} of {len(expected)}" in page.text
            seen += refs
            found = re.search(r'href="([^"]+)" rel="next" id="next"', page.text)
            url = found.group(1).replace("&amp;", "&") if found else None
            assert (url is None) == (len(seen) == len(expected))
            assert ('id="first"' in page.text) == (len(seen) > len(refs))
            if 'id="first"' in page.text:
                assert 'href="/staff/register" rel="prev" id="first"' in page.text  # no stray "?"
        assert seen == expected
        havering = c.get("/staff/register", params={"borough": "havering", "q": "example.org"})
        assert "People 1 to 3 of 8" in havering.text  # the seven and Sam Okafor
        later = re.search(r'href="([^"]+)" rel="next" id="next"', havering.text).group(1).replace("&amp;", "&")
        assert "borough=havering" in later and "q=example.org" in later
        assert "Cara Carer" not in c.get(later).text
