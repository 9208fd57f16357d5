"""Every page and email in the person's language (issue 16), in-process on SQLite and PostgreSQL:
`?lang=`, the cookie, Accept-Language, <html lang dir>; the claimant's language kept with the claim and
the register and used for their emails (Content-Language, dates and money in the language); and the
pseudo-locale en-XA over every public page: no English left. Emails: test_email_languages.py."""
from __future__ import annotations

import re
from datetime import date, timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from involve import i18n, links
from involve.db import reader, unit_of_work
from involve.mail.render import build_message, render
from involve.services import activity_claims
from involve.services.people import add_person, add_staff
from involve.services.processing import process_batch
from involve.web.app import create_app
from models import Claim, OutboxEmail, Person
from tests import pseudo_locale as px

COORD = "coord@example.nhs.uk"
DAY = date.today() - timedelta(days=2)


@pytest.fixture
def client(db):
    with unit_of_work() as s:
        add_staff(s, email=COORD, name="Co-ordinator", roles=["coordinator"])
    with TestClient(create_app()) as c:
        yield c


@pytest.fixture
def pseudo():
    i18n.install(px.CODE, px.translations())
    yield px.CODE
    i18n.uninstall(px.CODE)


def csrf(page) -> str:
    return re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)


ANSWERS = {"about-you": {"name": "Ŝåɱîŕå Ķĥåñ", "email": "samira@example.org"},
           "activity": {"kind": "meeting", "title": "Ƒöŕûɱ", "date-day": DAY.day, "date-month": DAY.month,
                        "date-year": DAY.year, "start": "10:00", "end": "12:00", "borough": "redbridge"},
           "fee": {"fee": "yes"}, "expenses": {"costs": ["taxi", "car"], "taxi": "7.50", "car_miles": "12"},
           "payment": {"method": "bank_transfer"},
           "bank": {"account_name": "Ŝ Ķĥåñ", "sort_code": "123456", "account_number": "12345678"}}


def fill(c: TestClient, language: str | None = None, reading_format: str = "standard") -> str:
    token = csrf(c.get("/claim/about-you"))
    for step, data in ANSWERS.items():
        if step == "about-you" and language:
            data = dict(data, language=language, format=reading_format)
        r = c.post(f"/claim/{step}", data={"csrf_token": token, **data}, follow_redirects=False)
        assert r.status_code == 303, (step, r.text[-500:])
    return token


def send(c: TestClient, token: str) -> str:
    r = c.post("/claim/check", data={"csrf_token": token, "declaration": "yes"}, follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == "/claim/confirmation", r.text[-500:]
    return re.search(r'id="reference"[^>]*>([^<]+)<', c.get("/claim/confirmation").text).group(1)


def html_lang(page) -> tuple[str, str]:
    m = re.search(r'<html lang="([^"]+)" dir="([^"]+)"', page.text)
    return m.group(1), m.group(2)


def test_lang_query_cookie_and_accept_language(client):
    assert html_lang(client.get("/claim")) == ("en", "ltr")
    page = client.get("/claim?lang=ur")
    assert html_lang(page) == ("ur", "rtl") and page.headers["content-language"] == "ur"
    assert "involve_lang=ur" in page.headers.get("set-cookie", "")
    assert "ادائیگی کا دعویٰ" in page.text
    assert html_lang(client.get("/claim/about-you")) == ("ur", "rtl")  # remembered
    assert html_lang(client.get("/claim/about-you?lang=RO")) == ("ro", "ltr")  # any case
    fresh = TestClient(create_app())
    assert html_lang(fresh.get("/claim", headers={"Accept-Language": "pl;q=1, ro-RO;q=0.8, en;q=0.5"})) == ("ro", "ltr")
    assert html_lang(fresh.get("/claim?lang=xx")) == ("en", "ltr")  # not offered: ignored
    nav = re.search(r'<nav class="involve-languages".*?</nav>', client.get("/claim").text, re.S).group(0)
    assert 'lang="ur"' in nav and "اردو" in nav and "Română" in nav and "English" in nav
    assert html_lang(client.get("/staff/sign-in")) == ("en", "ltr")  # staff pages stay English


def test_languages_setting_limits_the_offer(client, monkeypatch):
    monkeypatch.setenv("INVOLVE_LANGUAGES", "en,ur")
    from involve.settings import reset_settings
    reset_settings()
    try:
        assert i18n.offered() == ["en", "ur"]
        assert html_lang(client.get("/claim?lang=ro")) == ("en", "ltr")
    finally:
        monkeypatch.delenv("INVOLVE_LANGUAGES")
        reset_settings()


def test_a_claim_in_urdu_gets_its_emails_in_urdu(client):
    client.get("/claim?lang=ur")
    token = fill(client, "ur", "large_print")
    check = client.get("/claim/check").text
    assert "اردو" in check and "بڑے حروف" in check
    ref = send(client, token)
    with reader() as s:
        claim = s.execute(select(Claim).where(Claim.reference == ref)).scalar_one()
        assert (claim.claimant_language, claim.claimant_format) == ("ur", "large_print")
    process_batch()
    with reader() as s:
        [mail] = s.execute(select(OutboxEmail).where(OutboxEmail.template == "claim_received")).scalars()
        context, to = mail.context, mail.to_addr
    msg = build_message(template="claim_received", context=context, to=to, sender="x@example.org", outbox_id=1)
    assert msg["Content-Language"] == "ur"
    subject, text, html = render("claim_received", context)
    assert ref in subject and "موصول" in subject
    assert f"{DAY.day} " in text and "£" in text and "عملے کا ایک رکن" in text
    assert '<html lang="ur" dir="rtl">' in html and "font-size: 24px" in html  # large print
    assert "Language" in _staff_page(client, f"/staff/claims/{ref}").split("Urdu (Large print)")[0]


def _staff_page(c: TestClient, path: str) -> str:
    """`path` as the co-ordinator, signed in by the emailed link; staff pages are English."""
    token = csrf(c.get("/staff/sign-in"))
    c.post("/staff/sign-in", data={"csrf_token": token, "email": COORD})
    with reader() as s:
        mail = s.execute(select(OutboxEmail).where(OutboxEmail.template == "staff_signin")).scalar_one()
    link = mail.context["signin_url"].removeprefix("http://testserver")
    c.post(link, data={"csrf_token": csrf(c.get(link))})
    page = c.get(path)
    assert page.status_code == 200 and html_lang(page) == ("en", "ltr")
    return page.text


def test_register_language_is_used_for_their_emails(db):
    with unit_of_work() as s:
        person = add_person(s, email="ana@example.org", name="Ana", language="ro", reading_format="easy_read")
        prepared = activity_claims.create_activity_claim(
            s, person=person, kind="training_received", title="Panel training", day=DAY, start="10:00",
            end="12:00", borough="havering", service=None, lead_email=None, reference="TRN-1",
            source="training", actor=COORD)
    with reader() as s:
        stored = s.execute(select(Person).where(Person.email == "ana@example.org")).scalar_one()
        assert (stored.language, stored.preferred_format) == ("ro", "easy_read")
        claim = s.execute(select(Claim).where(Claim.reference == prepared.reference)).scalar_one()
        assert claim.claimant_language == "ro"


def _public_pages(c: TestClient) -> dict[str, object]:
    """Every public page, its error states included, in whatever language the client has chosen."""
    seen = {"start": c.get("/claim")}
    token = csrf(c.get("/claim/about-you"))
    for step in ("about-you", "activity", "fee", "expenses", "payment"):
        seen[step] = c.get(f"/claim/{step}")
        seen[f"{step} (errors)"] = c.post(f"/claim/{step}", data={"csrf_token": token})
    fill(c)
    seen["bank"] = c.get("/claim/bank")
    seen["bank (errors)"] = c.post("/claim/bank", data={"csrf_token": token, "sort_code": "1"})
    fill(c)
    seen["check"] = c.get("/claim/check")
    seen["check (errors)"] = c.post("/claim/check", data={"csrf_token": token}, follow_redirects=True)
    seen["not found"] = c.get("/claim/nowhere")
    seen["form refused"] = c.post("/claim/about-you", data={})
    send(c, token)
    seen["confirmation"] = c.get("/claim/confirmation")
    with unit_of_work() as s:
        person = add_person(s, email="ana@example.org", name="Ŝåɱ")
        prepared = activity_claims.create_activity_claim(
            s, person=person, kind="interview_panel", title="Ƥåñéļ", day=DAY, start="10:00", end="12:00",
            borough="havering", service=None, lead_email=None, reference="REC-1", source="recruitment",
            actor=COORD)
        bad = links.issue(s, action="confirm", reference="CLM-NONE", holder="ana@example.org")
    seen["confirm claim"] = c.get(prepared.confirm_url.split("8000", 1)[-1].replace("http://testserver", ""))
    path = "/act/" + prepared.confirm_url.rsplit("/act/", 1)[1]
    seen["confirm claim (errors)"] = c.post(path, data={"method": "bank_transfer", "sort_code": "x"})
    seen["withdraw claim"] = c.get("/act/" + prepared.withdraw_url.rsplit("/act/", 1)[1])
    seen["withdrawn"] = c.post("/act/" + prepared.withdraw_url.rsplit("/act/", 1)[1], data={})
    seen["link used"] = c.get("/act/" + prepared.withdraw_url.rsplit("/act/", 1)[1])
    seen["link broken"] = c.get("/act/" + bad.rsplit("/act/", 1)[1] + "x")
    return seen


def test_pseudo_locale_every_public_page_has_no_english_left(client, pseudo):
    client.get(f"/claim?lang={pseudo}")
    pages = _public_pages(client)
    values = (*[str(v) for a in ANSWERS.values() for v in a.values() if not isinstance(v, list)],
              "CLM-", "REC-1", "12:00", "10:00")
    problems = {}
    for name, page in pages.items():
        assert html_lang(page)[0] == pseudo, name
        refs = tuple(re.findall(r"CLM-[\w-]+", page.text))
        left = px.english_left(px.visible_text(page.text), values + refs)
        if left:
            problems[name] = left
    assert not problems, "\n".join(f"{k}: {v}" for k, v in problems.items())


def test_a_link_page_is_in_the_persons_language_unless_they_choose(client):
    with unit_of_work() as s:
        person = add_person(s, email="ana@example.org", name="Ana", language="ur")
        prepared = activity_claims.create_activity_claim(
            s, person=person, kind="interview_panel", title="Panel", day=DAY, start="10:00", end="12:00",
            borough="havering", service=None, lead_email=None, reference="REC-1", source="recruitment", actor=COORD)
    path = "/act/" + prepared.confirm_url.rsplit("/act/", 1)[1]
    fresh = TestClient(create_app())
    assert html_lang(fresh.get(path)) == ("ur", "rtl")
    assert html_lang(fresh.get(path + "?lang=ro")) == ("ro", "ltr")  # chosen here: kept
    assert html_lang(fresh.get(path)) == ("ro", "ltr")
