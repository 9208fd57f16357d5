"""The annual report in a real browser (Debian's chromium through Playwright): every chart image
loads, on screen and with the print stylesheet. Never runs `playwright install`: it uses
/usr/bin/chromium and skips, saying why, when that is missing."""

from __future__ import annotations

import os
from datetime import date
from pathlib import Path

import pytest

from involve.db import get_engine
from involve.reports.annual import annual_report
from involve.reports.generate import generate

CHROMIUM = Path(os.environ.get("INVOLVE_TEST_CHROMIUM", "/usr/bin/chromium"))
pytestmark = pytest.mark.browser


@pytest.fixture
def chromium():
    if not CHROMIUM.exists():
        pytest.skip(f"no chromium at {CHROMIUM}: the browser check of report.html did not run")
    sync_api = pytest.importorskip("playwright.sync_api", reason="playwright is not installed (test extra)")
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=str(CHROMIUM), args=["--no-sandbox", "--headless", "--disable-gpu"]
        )
        yield browser
        browser.close()


def test_report_html_has_no_broken_images(db, tmp_path, chromium):
    if get_engine().dialect.name != "sqlite":
        pytest.skip("the page does not depend on the database; once on SQLite is enough")
    generate(1500, seed=5, people=60, first_year=2024, today=date(2026, 6, 30))
    files = annual_report(2025, tmp_path / "report", pdf=False)
    page = chromium.new_page(viewport={"width": 1200, "height": 900})
    page.goto(files.html.resolve().as_uri())
    page.wait_for_load_state("load")
    for media in ("screen", "print"):
        page.emulate_media(media=media)
        images = page.evaluate(
            "Array.from(document.images).map(i => ({src: i.getAttribute('src'), "
            "complete: i.complete, width: i.naturalWidth}))"
        )
        assert len(images) == 5
        broken = [i["src"] for i in images if not i["complete"] or i["width"] <= 0]
        assert broken == [], f"broken images ({media}): {broken}"
    assert page.title().startswith("Service user involvement: annual report 2025/26")
    assert page.locator("table").count() > 10
