"""Issue 18: the person's Confirm: page (a claim the system made for them) has no critical or serious
axe finding - it had `aria-allowed-attr` on a radio (the conditional reveal put aria-expanded on it)."""
from __future__ import annotations

from datetime import date

from axe_playwright_python.sync_playwright import Axe

from tests.browser.tour import COORD, HR, new_page
from tests.e2e.harness import links, text_of


def test_confirm_page_has_no_critical_or_serious_axe_finding(browser, live, sink):
    person = "pat.jones@example.org"
    r = live.cli("register", "add", "--email", person, "--name", "Pat Jones", "--borough", "havering",
                 "--recruitment-consent", "--by", COORD)  # the register needs a co-ordinator
    assert r.returncode == 0, r.stderr
    r, session = live.cli_json("training", "add", "--date", date.today().isoformat(), "--start", "00:00",
                               "--end", "00:30", "--capacity", "3", "--by", HR)
    assert r.returncode == 0, r.stderr
    r, attended = live.cli_json("training", "attend", str(session["id"]), "--member", person, "--by", HR)
    assert r.returncode == 0, r.stderr
    [mail] = sink.wait(attended["claim_reference"], to=person)
    [url] = links(text_of(mail), "Confirm")
    page = new_page(browser, live.url)
    try:
        page.goto(url)
        page.check("#method-1") if page.locator("#method-1").count() else None  # a radio, as a person would
        page.wait_for_load_state("load")
        violations = Axe().run(page).response["violations"]
    finally:
        page.context.close()
    bad = [f"{v['id']} ({v['impact']}): {v['help']}" for v in violations if v["impact"] in ("critical", "serious")]
    assert not bad, bad
