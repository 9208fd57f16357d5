"""Issue 18, item 5: security headers on pages, no-store on pages with personal data, and rate limits
(429 with Retry-After and a plain page) on the public form and staff sign-in."""
from __future__ import annotations

import re

import pytest
from fastapi.testclient import TestClient

from involve import settings as settings_module
from involve.db import unit_of_work
from involve.services.people import add_staff
from involve.web.app import create_app
from tests.integration.test_pages_http import csrf, fill_claim

PAGES = ["/claim", "/claim/about-you", "/claim/activity", "/staff/sign-in"]


@pytest.fixture
def client(db):
    with unit_of_work() as s:
        add_staff(s, email="coord@example.nhs.uk", name="Co-ordinator", roles=["coordinator"])
    with TestClient(create_app()) as c:
        yield c


@pytest.mark.parametrize("path", PAGES)
def test_pages_have_a_csp_without_inline_script_and_cannot_be_framed(client, path):
    r = client.get(path)
    assert r.status_code == 200
    csp = r.headers["content-security-policy"]
    assert "frame-ancestors 'none'" in csp and "script-src 'self'" in csp and "style-src 'self'" in csp
    assert "unsafe-inline" not in csp and "unsafe-eval" not in csp
    assert r.headers["x-frame-options"] == "DENY"
    html = r.text
    scripts = re.findall(r"<script\b([^>]*)>(.*?)</script>", html, re.S)
    assert scripts == [] or all("src=" in attrs and not body.strip() for attrs, body in scripts)
    assert "<style" not in html and " style=" not in html and "javascript:" not in html


def test_every_answer_sends_nosniff_and_no_referrer(client):
    for path in [*PAGES, "/health", "/openapi.json"]:
        r = client.get(path)
        assert r.headers["x-content-type-options"] == "nosniff", path
        assert r.headers["referrer-policy"] == "no-referrer", path


def test_pages_with_personal_data_are_not_stored_by_browsers_or_proxies(client):
    fill_claim(client)
    r = client.get("/claim/check")  # the person's name, email and bank details (masked)
    assert "Kim Baker" in r.text
    assert r.headers["cache-control"] == "no-store"
    assert client.get("/staff/sign-in").headers["cache-control"] == "no-store"
    static = client.get("/static-involve/involve.css")
    assert static.status_code == 200 and static.headers.get("cache-control") != "no-store"


def test_own_scripts_and_styles_are_static_files(client):
    for path in ("/static-involve/js-enabled.js", "/static-involve/init-all.js", "/static-involve/involve.css"):
        assert client.get(path).status_code == 200, path


def test_public_form_posts_are_rate_limited(db, monkeypatch):
    monkeypatch.setenv("INVOLVE_RATE_LIMIT_FORM", "3/minute")
    settings_module.reset_settings()
    with TestClient(create_app()) as c:
        token = csrf(c.get("/claim/about-you"))
        answers = [c.post("/claim/about-you", data={"csrf_token": token, "name": "Kim", "email": "kim@example.org"},
                          follow_redirects=False) for _ in range(4)]
        assert [a.status_code for a in answers[:3]] == [303, 303, 303]
        limited = answers[3]
        assert limited.status_code == 429
        assert 1 <= int(limited.headers["retry-after"]) <= 60
        assert limited.headers["content-type"].startswith("text/html") and "Too many requests" in limited.text
        assert c.post("/claim/check", data={"csrf_token": token}).status_code == 429  # one count for the form
        assert c.get("/claim/about-you").status_code == 200  # reading is not limited


def test_staff_sign_in_is_rate_limited(db, monkeypatch):
    monkeypatch.setenv("INVOLVE_RATE_LIMIT_SIGNIN", "2/minute")
    settings_module.reset_settings()
    with TestClient(create_app()) as c:
        token = csrf(c.get("/staff/sign-in"))
        codes = [c.post("/staff/sign-in", data={"csrf_token": token, "email": "someone@example.nhs.uk"}).status_code
                 for _ in range(3)]
        assert codes == [200, 200, 429]
        assert c.get("/staff/sign-in/forged-token").status_code == 429


def test_a_bad_rate_setting_names_the_variable(monkeypatch):
    from involve.errors import SettingsError
    from involve.settings import load_settings

    monkeypatch.setenv("INVOLVE_RATE_LIMIT_FORM", "lots")
    with pytest.raises(SettingsError, match="INVOLVE_RATE_LIMIT_FORM"):
        load_settings()


def test_the_limiter_is_one_reusable_dependency_for_any_route(db, monkeypatch):
    """/claims/status (added by the claimant pages) takes the limit with one line, as any route can."""
    from fastapi import APIRouter

    from involve.web.security import rate_limited

    monkeypatch.setenv("INVOLVE_RATE_LIMIT_STATUS", "2/minute")
    settings_module.reset_settings()
    app = create_app()
    router = APIRouter()

    @router.get("/claims/status-probe", dependencies=[rate_limited("status")])
    async def probe():
        return {"ok": True}

    app.include_router(router)
    with TestClient(app) as c:
        assert [c.get("/claims/status-probe").status_code for _ in range(3)] == [200, 200, 429]
