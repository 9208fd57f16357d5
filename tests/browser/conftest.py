"""Browser fixtures: a real `involve serve` (module-scoped, with its own SMTP sink and staff) and
Debian's Chromium driven by Playwright. Everything here skips, with the reason shown, only when
/usr/bin/chromium is missing (.ci/run installs it)."""
from __future__ import annotations

import pytest

from tests.browser.tour import CHROMIUM, launch, new_page, seed_staff
from tests.e2e.harness import LiveServer, SmtpSink

NO_CHROMIUM = f"{CHROMIUM} is missing: apt-get install chromium to run the browser tests"


def pytest_collection_modifyitems(config, items):
    for item in items:
        if "tests/browser/" in str(item.fspath).replace("\\", "/"):
            item.add_marker(pytest.mark.browser)
            if not CHROMIUM.exists():
                item.add_marker(pytest.mark.skip(reason=NO_CHROMIUM))


@pytest.fixture(scope="module")
def sink():
    s = SmtpSink().start()
    yield s
    s.stop()


@pytest.fixture(scope="module")
def live(sink, tmp_path_factory):
    server = LiveServer(tmp_path_factory.mktemp("browser"), sink.port).start()
    seed_staff(server)
    yield server
    server.stop()


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = launch(p)
        yield b
        b.close()


@pytest.fixture
def page(browser, live):
    pg = new_page(browser, live.url)
    yield pg
    pg.context.close()
