"""The pages in a real Chromium against a real `involve serve`: the claim form by keyboard alone, the
error summary, the approval link's page, staff sign-in and pages, and axe on every page."""
from __future__ import annotations

import csv
import io

import pytest
from axe_playwright_python.sync_playwright import Axe

from tests.browser.tour import (
    COORD,
    FINANCE,
    approval_link,
    claim_by_keyboard,
    new_page,
    press_on,
    sign_in,
    tab_to,
    visit_all,
)

BLOCKING = ("serious", "critical")


def test_claim_form_by_keyboard_alone(page, live, sink):
    ref = claim_by_keyboard(page, live.url, "keyboard.only@example.org")
    assert page.locator("h1, .nhsuk-panel__title").first.inner_text().strip() == "Claim sent"
    _, shown = live.cli_json("claims", "show", ref)
    assert shown["claimant_email"] == "keyboard.only@example.org"
    assert shown["activity_kind"] == "meeting"
    assert sink.wait(ref, "received", to="keyboard.only@example.org")


def test_double_submit_makes_one_claim(page, live):
    ref = claim_by_keyboard(page, live.url, "twice@example.org")
    page.goto(live.url + "/claim/check")
    assert page.url.endswith("/claim/confirmation")
    assert page.locator("#reference").inner_text().strip() == ref
    r, listed = live.cli_json("claims", "list")
    assert len([c for c in listed if c.get("claimant_email") == "twice@example.org"]) == 1, r.stdout


def test_error_summary_links_to_the_field(page, live):
    page.goto(live.url + "/claim/about-you")
    page.fill("#email", "not-an-email")
    with page.expect_navigation():
        press_on(page, "#continue", "Enter")
    summary = page.locator(".nhsuk-error-summary")
    assert summary.is_visible()
    assert page.title().startswith("Error:")
    hrefs = summary.locator("a").evaluate_all("links => links.map(a => a.getAttribute('href'))")
    assert hrefs == ["#name", "#email"]
    assert "Enter your full name" in summary.inner_text()
    tab_to(page, ".nhsuk-error-summary a[href='#email']")
    page.keyboard.press("Enter")
    assert page.evaluate("document.activeElement.id") == "email"
    assert page.locator("#email-error").is_visible()


def test_form_works_without_javascript(browser, live):
    pg = new_page(browser, live.url, javascript=False)
    try:
        pg.goto(live.url + "/claim")  # the form's session starts here (a page opened cold offers Start again)
        pg.goto(live.url + "/claim/expenses")
        assert pg.locator("#public_transport").is_visible()  # conditional fields show without JS
        pg.goto(live.url + "/claim/about-you")
        pg.fill("#name", "No Script")
        pg.fill("#email", "noscript@example.org")
        with pg.expect_navigation():
            pg.click("#continue")
        assert pg.url.endswith("/claim/activity")
    finally:
        pg.context.close()


def test_approval_link_opens_the_approve_page(page, live, sink):
    ref = claim_by_keyboard(page, live.url, "approve.me@example.org", days_ago=6)
    page.goto(approval_link(sink, ref))
    assert page.locator("h1").inner_text().strip() == f"Approve claim {ref}"
    assert page.locator("main form[method=post] button[type=submit]").first.is_visible()
    _, shown = live.cli_json("claims", "show", ref)
    assert shown["status"] == "awaiting_approval"  # opening the page changes nothing


def test_finance_records_payment_and_downloads_the_run(page, live, sink):
    ref = claim_by_keyboard(page, live.url, "paid.later@example.org", days_ago=8)
    page.goto(approval_link(sink, ref))
    with page.expect_navigation():
        page.click("main button[type=submit]")
    sign_in(page, live.url, sink, FINANCE)
    assert ref in page.locator("#to-pay").inner_text()
    with page.expect_download() as download:
        page.click("#make-run")
    rows = list(csv.DictReader(io.StringIO(download.value.path().read_text())))
    assert ref in [r["reference"] for r in rows]
    assert "87654321" not in download.value.path().read_text()
    page.goto(f"{live.url}/staff/finance")
    with page.expect_navigation():
        page.click(f"a[href='/staff/finance/pay/{ref}']")  # a confirmation step, with the payment method
    assert "bank transfer" in page.locator("main").inner_text().lower()
    page.fill("#payment_ref", "BACS-1")
    with page.expect_navigation():
        page.click("#confirm")
    assert "Payment recorded" in page.locator(".nhsuk-notification-banner").inner_text()
    _, shown = live.cli_json("claims", "show", ref)
    assert shown["status"] == "paid" and shown["history"][-1]["actor"] == FINANCE


def test_staff_pages_need_sign_in(page, live):
    page.goto(live.url + "/staff/claims")
    assert page.url.endswith("/staff/sign-in")


def test_axe_finds_no_serious_problem_on_any_page(browser, live, sink):
    """axe on every page at desktop width and at 375 px (staff pages: no violation at all), and no page
    wider than a 375 px phone."""
    pg = new_page(browser, live.url)
    results: dict[str, dict] = {}
    too_wide: dict[str, int] = {}

    def check(name, page):
        report = Axe().run(page)
        violations = report.response["violations"]
        counts: dict[str, int] = {}
        for v in violations:
            counts[v["impact"]] = counts.get(v["impact"], 0) + 1
        strict = name.startswith(("staff-", "person-"))
        results[name] = {"counts": counts,
                         "blocking": [f"{v['id']} ({v['impact']}): {v['help']}" for v in violations
                                      if strict or v["impact"] in BLOCKING]}

    def seen(name, page):
        page.wait_for_load_state("load")
        check(name, page)
        page.set_viewport_size({"width": 375, "height": 800})
        try:
            # let the header's resize handler (it re-flows the navigation) finish before measuring
            page.evaluate("() => new Promise(r => requestAnimationFrame(() => requestAnimationFrame(r)))")
            page.wait_for_timeout(150)
            width = page.evaluate("document.documentElement.scrollWidth")
            if width > 375:
                too_wide[name] = width
            check(name + "@375", page)
        finally:
            page.set_viewport_size({"width": 1100, "height": 900})

    try:
        visit_all(pg, live, sink, seen)
    finally:
        pg.context.close()
    for name, r in results.items():
        print(f"axe {name}: {r['counts'] or 'no violations'}")
    assert len(results) >= 2 * 30, sorted(results)
    bad = {name: r["blocking"] for name, r in results.items() if r["blocking"]}
    assert not bad, bad
    assert not too_wide, too_wide


@pytest.mark.parametrize("path", ["/claim", "/claim/about-you", "/staff/sign-in"])
def test_pages_have_nhs_styles(page, live, path):
    from involve.web.assets import CSS, DEFAULT_DIR

    if not (DEFAULT_DIR / CSS).is_file():
        pytest.skip("nhsuk-frontend is not installed (make install needs npm): pages are unstyled")
    page.goto(live.url + path)
    assert page.locator("link[href^='/static/'][href$='/nhsuk-frontend.min.css']").count() == 1
    assert page.evaluate("getComputedStyle(document.querySelector('.nhsuk-header')).backgroundColor") \
        == "rgb(0, 94, 184)"


def test_no_request_leaves_the_service(browser, live, sink):
    """Fonts, styles, scripts and icons all come from the service itself: a page never waits on
    another host (assets.nhs.uk served the NHS.UK font before)."""
    from involve.web.assets import CSS, DEFAULT_DIR

    if not (DEFAULT_DIR / CSS).is_file():
        pytest.skip("nhsuk-frontend is not installed (make install needs npm): pages are unstyled")
    pg = new_page(browser, live.url)
    requested: list[str] = []
    pg.context.on("request", lambda request: requested.append(request.url))

    def settle(page):
        page.wait_for_load_state("load")
        page.evaluate("document.fonts.ready.then(() => document.fonts.size)")

    try:
        for path in ("/claim", "/claim/about-you", "/claim/expenses", "/staff/sign-in"):
            pg.goto(live.url + path)
            settle(pg)
        sign_in(pg, live.url, sink, COORD)
        settle(pg)
        pg.goto(live.url + "/staff/claims?status=awaiting_approval")
        settle(pg)
    finally:
        pg.context.close()
    outside = sorted({url for url in requested if not url.startswith((live.url + "/", "data:"))})
    assert not outside, outside
    assert any(url.endswith(".css") for url in requested) and any(url.endswith(".svg") for url in requested)


def test_programme_pages_fit_a_375px_screen(browser, live, sink):
    """The Action Plan and activity pages and an invitation's page: no horizontal scroll on a phone."""
    from tests.browser.tour import COORD, PLAN, activity_invitation, sign_in

    assert live.cli("plan", "load", str(PLAN), "--by", COORD).returncode == 0
    pg = new_page(browser, live.url)
    try:
        pg.set_viewport_size({"width": 375, "height": 800})
        ref, accept = activity_invitation(live, sink)
        sign_in(pg, live.url, sink, COORD)
        for url in (live.url + "/staff/plan", live.url + "/staff/activities", f"{live.url}/staff/activities/{ref}",
                    accept):
            pg.goto(url)
            wide = pg.evaluate("document.documentElement.scrollWidth")
            assert wide <= 375, f"{url} is {wide}px wide"
    finally:
        pg.context.close()
