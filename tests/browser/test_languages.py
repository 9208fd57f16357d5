"""The claim form in each shipped language in a real Chromium, by keyboard alone: laid out right to left
for Urdu, axe with no violations on every page, and the "received" email in the same language (its
Content-Language, dates and money). Then the pseudo-locale en-XA (40 % longer text) at 375 px: no page
scrolls sideways. Screenshots go to $INVOLVE_SCREENSHOTS (docs/languages/ keeps a set) or a temp folder."""
from __future__ import annotations

import os
import re
import socket
import threading
import time
from datetime import date, timedelta
from pathlib import Path

import pytest
from axe_playwright_python.sync_playwright import Axe

from tests.browser.tour import claim_by_keyboard, new_page
from tests.e2e.harness import html_of, text_of

EXPECT = {  # words the "received" email must hold, and how it writes money
    "ur": {"dir": "rtl", "words": ("ہمیں آپ کا دعویٰ", "شمولیت کی فیس"), "money": r"£\d+\.\d{2}"},
    "ro": {"dir": "ltr", "words": ("Am primit cererea", "Onorariu de participare"), "money": r"\d+,\d{2}\s£"},
}
MONTHS = {"ur": ("جنوری", "فروری", "مارچ", "اپریل", "مئی", "جون", "جولائی", "اگست", "ستمبر", "اکتوبر", "نومبر",
                 "دسمبر"),
          "ro": ("ianuarie", "februarie", "martie", "aprilie", "mai", "iunie", "iulie", "august", "septembrie",
                 "octombrie", "noiembrie", "decembrie")}


def shots_dir(tmp_path) -> Path:
    folder = Path(os.environ.get("INVOLVE_SCREENSHOTS") or tmp_path)
    folder.mkdir(parents=True, exist_ok=True)
    return folder


@pytest.mark.parametrize("language", ["ur", "ro"])
def test_claim_form_in_each_language_by_keyboard(language, browser, live, sink, tmp_path):
    page = new_page(browser, live.url)
    folder, problems = shots_dir(tmp_path), {}

    def seen(name, pg):
        pg.wait_for_load_state("load")
        assert pg.evaluate("[document.documentElement.lang, document.documentElement.dir]") == \
            [language, EXPECT[language]["dir"]], name
        violations = Axe().run(pg).response["violations"]
        if violations:
            problems[name] = [f"{v['id']} ({v['impact']}): {v['help']}" for v in violations]
        if name in ("claim-start", "claim-about-you", "claim-expenses", "claim-check", "claim-confirmation"):
            pg.screenshot(path=str(folder / f"{language}-{name}.png"), full_page=True)

    try:
        page.goto(f"{live.url}/claim?lang={language}")  # the language link's address; the cookie keeps it
        who = f"{language}.keyboard@example.org"
        ref = claim_by_keyboard(page, live.url, who, seen=seen)
        if language == "ur":  # mirrored: the radio mark and the back link sit on the right
            page.goto(live.url + "/claim")  # a new claim: the last one is sent
            page.goto(live.url + "/claim/about-you")
            box = page.locator(".nhsuk-radios__item").first.bounding_box()
            mark = page.locator(".nhsuk-radios__input").first.bounding_box()
            assert mark["x"] + mark["width"] > box["x"] + box["width"] - 50
    finally:
        page.context.close()
    assert not problems, problems
    _, shown = live.cli_json("claims", "show", ref)
    assert shown["claimant_language"] == language
    [mail] = sink.wait(ref, to=who)
    assert mail["Content-Language"] == language
    text, html = text_of(mail), html_of(mail)
    for word in EXPECT[language]["words"]:
        assert word in text and word in html, (word, text)
    assert re.search(EXPECT[language]["money"], text), text
    day = date.today() - timedelta(days=3)
    assert f"{day.day} {MONTHS[language][day.month - 1]} {day.year}" in text, text
    assert f'lang="{language}" dir="{EXPECT[language]["dir"]}"' in html


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def pseudo_server(db):
    """The app in this process (so it has the pseudo-locale), served by uvicorn on a free port."""
    import uvicorn

    from involve import i18n
    from involve.web.app import create_app
    from tests import pseudo_locale as px

    i18n.install(px.CODE, px.translations())
    server = uvicorn.Server(uvicorn.Config(create_app(), host="127.0.0.1", port=_free_port(), log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    for _ in range(200):
        if server.started:
            break
        time.sleep(0.05)
    yield f"http://127.0.0.1:{server.config.port}"
    server.should_exit = True
    thread.join(10)
    i18n.uninstall(px.CODE)


def _link_pages() -> dict[str, str]:
    """A prepared claim's Confirm: and Withdraw: links (in this process's database)."""
    from involve.db import unit_of_work
    from involve.services import activity_claims
    from involve.services.people import add_person

    with unit_of_work() as s:
        person = add_person(s, email="sam@example.org", name="Ŝåɱ")
        prepared = activity_claims.create_activity_claim(
            s, person=person, kind="interview_panel", title="Ƥåñéļ", day=date.today() - timedelta(days=1),
            start="10:00", end="12:00", borough="havering", service=None, lead_email=None, reference="REC-1",
            source="recruitment", actor="coord@example.nhs.uk")
    return {"confirm": prepared.confirm_url, "withdraw": prepared.withdraw_url}


@pytest.mark.parametrize("db", ["sqlite"], indirect=True)  # a layout test: one database is enough
def test_pseudo_locale_pages_fit_375px(browser, pseudo_server, tmp_path):
    """40 % longer text on every public page, at a phone's width: nothing scrolls sideways."""
    base, wide = pseudo_server, {}
    page = new_page(browser, base)
    page.set_viewport_size({"width": 375, "height": 800})
    folder = shots_dir(tmp_path)

    def check(name):
        page.wait_for_load_state("load")
        assert page.evaluate("document.documentElement.lang") == "en-XA", name
        width = page.evaluate("document.documentElement.scrollWidth")
        if width > 375:
            wide[name] = width
            page.screenshot(path=str(folder / f"en-XA-{name}-overflow.png"), full_page=True)

    try:
        page.goto(base + "/claim?lang=en-XA")
        check("start")
        for step in ("about-you", "activity", "fee", "expenses", "payment", "bank"):
            page.goto(f"{base}/claim/{step}")
            if step == "expenses":
                page.check("#costs")  # opens a conditional field
            if step == "payment":
                page.check("#method")  # bank transfer: the bank page comes next
            check(step)
            page.click("#continue")
            check(f"{step}-errors" if "/claim/" + step in page.url else f"after-{step}")
        page.goto(base + "/claim/about-you")
        page.fill("#name", "Ŝåɱ")
        page.fill("#email", "sam@example.org")
        page.click("#continue")
        page.goto(base + "/claim/check")
        check("check")
        page.screenshot(path=str(folder / "en-XA-claim-check-375.png"), full_page=True)
        page.goto(base + "/claim/nowhere")
        check("not-found")
        for name, url in _link_pages().items():
            page.goto(base + "/act/" + url.rsplit("/act/", 1)[1])
            check(name)
            if name == "confirm":
                page.locator("main form button[type=submit]").first.click()  # nothing filled: errors
                check("confirm-errors")
    finally:
        page.context.close()
    assert not wide, wide
