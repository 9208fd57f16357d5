"""Staff sign-in: links work once, for 15 minutes, only in the browser that asked; sessions end after
inactivity, at sign-out (server-side) and on deactivation; cookies HttpOnly, SameSite, Secure on https."""
from __future__ import annotations

import re
from datetime import timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from involve import clock
from involve.db import reader, unit_of_work
from involve.services.people import add_staff
from involve.web.app import create_app
from models import OutboxEmail
from tests.staff_sign_in import csrf

COORD, ADMIN = "coord@example.nhs.uk", "admin@example.nhs.uk"


@pytest.fixture
def app(db):
    with unit_of_work() as s:
        add_staff(s, email=COORD, name="Co-ordinator", roles=["coordinator"])
        add_staff(s, email=ADMIN, name="Admin", roles=["admin"])
    return create_app()


def ask_for_link(client: TestClient, email: str = COORD) -> str:
    r = client.post("/staff/sign-in", data={"csrf_token": csrf(client.get("/staff/sign-in")), "email": email})
    assert r.status_code == 200
    with reader() as s:
        mail = s.execute(select(OutboxEmail).where(OutboxEmail.template == "staff_signin")
                         .order_by(OutboxEmail.id.desc()).limit(1)).scalar_one()
    assert mail.context["minutes"] == 15
    return re.sub(r"^https?://[^/]+", "", mail.context["signin_url"])


def press(client: TestClient, link: str):
    page = client.get(link)
    if page.status_code != 200:
        return page
    return client.post(link, data={"csrf_token": csrf(page)}, follow_redirects=False)


def test_a_link_works_once_and_its_session_opens_the_pages(app):
    with TestClient(app) as browser:
        link = ask_for_link(browser)
        r = press(browser, link)
        assert r.status_code == 303 and r.headers["location"] == "/staff"
        cookie = r.headers["set-cookie"]
        assert "HttpOnly" in cookie and "SameSite=lax" in cookie and "Secure" not in cookie
        assert browser.get("/staff/claims").status_code == 200
        again = browser.get(link)
        assert again.status_code == 410 and "already been used" in again.text


def test_a_link_does_not_work_in_another_browser(app):
    with TestClient(app) as asking, TestClient(app) as other:
        link = ask_for_link(asking)
        page = other.get(link)
        assert page.status_code == 410 and "same browser" in page.text
        other.get("/staff/sign-in")  # even with a CSRF token of its own, the POST is refused
        r = other.post(link, data={"csrf_token": csrf(other.get("/staff/sign-in"))}, follow_redirects=False)
        assert r.status_code == 410
        assert other.get("/staff/claims", follow_redirects=False).status_code == 303
        assert press(asking, link).status_code == 303  # still unused: the asking browser can use it


def test_a_link_expires_after_15_minutes(app, monkeypatch):
    with TestClient(app) as browser:
        link = ask_for_link(browser)
        monkeypatch.setattr(clock, "OFFSET", timedelta(minutes=16))
        r = browser.get(link)
        assert r.status_code == 410 and "15 minutes" in r.text


def test_sessions_end_after_inactivity_and_at_sign_out(app, monkeypatch):
    monkeypatch.setenv("INVOLVE_STAFF_SESSION_IDLE_MINUTES", "20")
    from involve import settings as settings_module

    settings_module.reset_settings()
    with TestClient(app) as browser:
        assert press(browser, ask_for_link(browser)).status_code == 303
        monkeypatch.setattr(clock, "OFFSET", timedelta(minutes=15))
        assert browser.get("/staff/claims", follow_redirects=False).status_code == 200  # active: kept alive
        monkeypatch.setattr(clock, "OFFSET", timedelta(minutes=30))
        assert browser.get("/staff/claims", follow_redirects=False).status_code == 200  # 15 min since last use
        monkeypatch.setattr(clock, "OFFSET", timedelta(minutes=51))
        assert browser.get("/staff/claims", follow_redirects=False).status_code == 303  # 21 min idle: ended

        monkeypatch.setattr(clock, "OFFSET", timedelta(0))
        assert press(browser, ask_for_link(browser)).status_code == 303
        stolen = browser.cookies.get("involve_staff")
        browser.post("/staff/sign-out", follow_redirects=False)
        with TestClient(app, cookies={"involve_staff": stolen}) as replay:  # the old cookie is dead server-side
            assert replay.get("/staff/claims", follow_redirects=False).status_code == 303


def test_deactivation_ends_every_session(app):
    from involve.services.staff_admin import deactivate

    with TestClient(app) as browser:
        assert press(browser, ask_for_link(browser)).status_code == 303
        deactivate(COORD, by=ADMIN)
        assert browser.get("/staff/claims", follow_redirects=False).status_code == 303


def test_cookies_are_secure_when_the_base_url_is_https(db, monkeypatch):
    monkeypatch.setenv("INVOLVE_BASE_URL", "https://involve.example.nhs.uk")
    from involve import settings as settings_module

    settings_module.reset_settings()
    with unit_of_work() as s:
        add_staff(s, email=COORD, name="Co-ordinator", roles=["coordinator"])
    with TestClient(create_app(), base_url="https://testserver") as browser:
        r = press(browser, ask_for_link(browser))
        assert r.status_code == 303 and "Secure" in r.headers["set-cookie"]
