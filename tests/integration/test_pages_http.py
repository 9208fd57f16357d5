"""The claim form and the staff pages in-process (ASGI), on SQLite and PostgreSQL: CSRF, one claim per
form session, the same intake as the webhook, magic-link sign-in and acting as the signed-in person."""
from __future__ import annotations

import re
from datetime import date, timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from involve.db import reader, unit_of_work
from involve.services.people import add_staff
from involve.web.app import create_app
from models import Claim, Delivery, OutboxEmail

COORD = "coord@example.nhs.uk"


@pytest.fixture
def client(db):
    with unit_of_work() as s:
        add_staff(s, email=COORD, name="Co-ordinator", roles=["coordinator"])
    with TestClient(create_app()) as c:
        yield c


def csrf(page) -> str:
    return re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)


def fill_claim(c: TestClient) -> str:
    token = csrf(c.get("/claim/about-you"))
    day = date.today() - timedelta(days=2)
    pages = {"about-you": {"name": "Kim Baker", "email": "kim@example.org"},
             "activity": {"kind": "meeting", "title": "Forum", "date-day": day.day, "date-month": day.month,
                          "date-year": day.year, "start": "10:00", "end": "12:00", "borough": "redbridge"},
             "fee": {"fee": "yes"}, "expenses": {"costs": ["taxi"], "taxi": "7.50"},
             "payment": {"method": "bank_transfer"},
             "bank": {"account_name": "K Baker", "sort_code": "123456", "account_number": "12345678"}}
    for step, data in pages.items():
        r = c.post(f"/claim/{step}", data={"csrf_token": token, **data}, follow_redirects=False)
        assert r.status_code == 303, (step, r.text[-500:])
    return token


def test_a_post_without_the_csrf_token_is_refused(client):
    client.get("/claim/about-you")
    r = client.post("/claim/about-you", data={"name": "Kim", "email": "kim@example.org"})
    assert r.status_code == 403
    r = client.post("/staff/sign-in", data={"email": COORD})
    assert r.status_code == 403


def test_bank_details_are_never_in_a_cookie_in_clear(client):
    fill_claim(client)
    assert "12345678" not in str(client.cookies.get("involve_claim"))


def test_double_submit_makes_one_claim(client):
    token = fill_claim(client)
    cookies = dict(client.cookies.items())
    first = client.post("/claim/check", data={"csrf_token": token, "declaration": "yes"})
    ref = re.search(r'id="reference">([^<]+)', first.text).group(1)
    with TestClient(client.app, cookies=cookies) as again:  # the same form session sent twice
        second = again.post("/claim/check", data={"csrf_token": token, "declaration": "yes"},
                            follow_redirects=False)
    assert (second.status_code, second.headers["location"]) == (303, "/claim/confirmation")
    with reader() as s:
        assert len(s.execute(select(Claim)).scalars().all()) == 1
        delivery = s.execute(select(Delivery)).scalar_one()
    assert delivery.source == "form" and delivery.claim_reference == ref


def test_declaration_is_required(client):
    token = fill_claim(client)
    r = client.post("/claim/check", data={"csrf_token": token})
    assert r.status_code == 400 and 'href="#declaration"' in r.text


def test_magic_link_sign_in_and_approve_as_that_person(client):
    token = csrf(client.get("/staff/sign-in"))
    r = client.post("/staff/sign-in", data={"csrf_token": token, "email": COORD})
    assert "Check your email" in r.text
    with reader() as s:
        mail = s.execute(select(OutboxEmail).where(OutboxEmail.template == "staff_signin")).scalar_one()
    assert mail.to_addr == COORD
    link = mail.context["signin_url"].removeprefix("http://testserver")
    assert client.get("/staff/claims", follow_redirects=False).headers["location"] == "/staff/sign-in"
    page = client.get(link)  # the GET only shows a button
    assert "involve_staff" not in client.cookies
    r = client.post(link, data={"csrf_token": csrf(page)}, follow_redirects=False)
    cookie = r.headers["set-cookie"]
    assert "involve_staff=" in cookie and "HttpOnly" in cookie and "samesite=lax" in cookie.lower()
    assert client.get("/staff/claims").status_code == 200
    assert client.post("/staff/sign-in/not-a-token", data={"csrf_token": csrf(page)}).status_code == 410


def test_unknown_email_gets_the_same_answer_and_no_email(client):
    token = csrf(client.get("/staff/sign-in"))
    r = client.post("/staff/sign-in", data={"csrf_token": token, "email": "someone@example.org"})
    assert "Check your email" in r.text
    with reader() as s:
        assert s.execute(select(OutboxEmail).where(OutboxEmail.template == "staff_signin")).first() is None


def test_pages_work_unstyled_without_the_frontend_assets(db, monkeypatch, tmp_path, caplog):
    from involve.settings import reset_settings

    monkeypatch.setenv("INVOLVE_FRONTEND_DIR", str(tmp_path / "missing"))
    reset_settings()
    with caplog.at_level("WARNING", logger="involve.web"), TestClient(create_app()) as c:
        page = c.get("/claim/about-you")
    assert page.status_code == 200 and 'name="email"' in page.text
    assert "/static/nhsuk-frontend" not in page.text
    assert any("pages work but are unstyled" in r.getMessage() for r in caplog.records)
