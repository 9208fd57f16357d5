"""Drive the pages in a real Chromium as people do: shared by the browser tests and `make screenshots`.

`claim_by_keyboard` completes the claim form with Tab, typing, Space and Enter only. `visit_all` walks
every page (claim form, check answers, confirmation, action pages, sign-in, staff pages) and calls
`seen(name, page)` on each, for axe checks or screenshots.
"""
from __future__ import annotations

import re
from datetime import date, timedelta
from pathlib import Path

from tests.e2e.harness import LiveServer, SmtpSink, links, text_of

CHROMIUM = Path("/usr/bin/chromium")
PLAN = Path(__file__).resolve().parents[2] / "involve" / "data" / "action-plan.toml"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--no-first-run", "--disable-sync"]
LEAD, COORD, FINANCE, HR = ("lead@example.nhs.uk", "coordinator@example.nhs.uk", "finance@example.nhs.uk",
                            "hr@example.nhs.uk")
STAFF = ((LEAD, "Activity Lead", "lead"), (COORD, "Co-ordinator", "coordinator"),
         (FINANCE, "Finance Officer", "finance"), (HR, "HR Adviser", "hr"))


def launch(playwright):
    return playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)


def new_page(browser, base_url: str, *, javascript: bool = True):
    """A fresh context (no cookies) that can reach only the server under test."""
    context = browser.new_context(java_script_enabled=javascript, viewport={"width": 1100, "height": 900},
                                  accept_downloads=True)
    context.route("**/*", lambda route: route.continue_() if route.request.url.startswith(base_url)
                  else route.abort())
    return context.new_page()


def seed_staff(live: LiveServer) -> None:
    for email, name, role in STAFF:
        r = live.cli("staff", "add", "--email", email, "--name", name, "--role", role, "--by", live.admin)
        assert r.returncode == 0, r.stderr
    # the finance address the server sends "approved" emails to may also record payments
    r = live.cli("staff", "add", "--email", live.finance, "--name", "Finance", "--role", "finance",
                 "--by", live.admin)
    assert r.returncode == 0, r.stderr


def tab_to(page, selector: str, limit: int = 80) -> None:
    """Press Tab until the element matching `selector` has the focus."""
    for _ in range(limit):
        page.keyboard.press("Tab")
        if page.evaluate("s => document.activeElement && document.activeElement.matches(s)", selector):
            return
    raise AssertionError(f"Tab never reached {selector} on {page.url}")


def type_into(page, selector: str, text: str) -> None:
    tab_to(page, selector)
    page.keyboard.type(text)


def press_on(page, selector: str, key: str = "Space") -> None:
    tab_to(page, selector)
    page.keyboard.press(key)


def claim_by_keyboard(page, base: str, who: str, *, seen=None, days_ago: int = 3) -> str:
    """Complete and send the claim form by keyboard alone; returns the reference on the confirmation page."""
    seen = seen or (lambda name, page: None)
    day = date.today() - timedelta(days=days_ago)
    page.goto(base + "/claim")
    seen("claim-start", page)
    press_on(page, "#start", "Enter")
    page.wait_for_url("**/claim/about-you")
    seen("claim-about-you", page)
    type_into(page, "#name", "Kim Baker")
    type_into(page, "#email", who)
    press_on(page, "#continue", "Enter")
    page.wait_for_url("**/claim/activity")
    seen("claim-activity", page)
    press_on(page, "#kind")  # first choice: a meeting
    type_into(page, "#title", "User Forum meeting")
    type_into(page, "#date-day", str(day.day))
    type_into(page, "#date-month", str(day.month))
    type_into(page, "#date-year", str(day.year))
    type_into(page, "#start", "10:00")
    type_into(page, "#end", "12:30")
    press_on(page, "#borough")  # first choice: Barking and Dagenham
    type_into(page, "#lead_email", LEAD)
    press_on(page, "#continue", "Enter")
    page.wait_for_url("**/claim/fee")
    seen("claim-fee", page)
    press_on(page, "#fee")  # yes
    press_on(page, "#continue", "Enter")
    page.wait_for_url("**/claim/expenses")
    seen("claim-expenses", page)
    press_on(page, "#costs")  # bus, train or tube: reveals the amount
    type_into(page, "#public_transport", "4.60")
    press_on(page, "#continue", "Enter")
    page.wait_for_url("**/claim/payment")
    seen("claim-payment", page)
    press_on(page, "#method")  # into my bank account
    press_on(page, "#continue", "Enter")
    page.wait_for_url("**/claim/bank")
    seen("claim-bank", page)
    type_into(page, "#account_name", "K Baker")
    type_into(page, "#sort_code", "12-34-56")
    type_into(page, "#account_number", "87654321")
    press_on(page, "#continue", "Enter")
    page.wait_for_url("**/claim/check")
    seen("claim-check", page)
    press_on(page, "#declaration")
    press_on(page, "#send", "Enter")
    page.wait_for_url("**/claim/confirmation")
    seen("claim-confirmation", page)
    reference = page.locator("#reference").inner_text().strip()
    assert re.fullmatch(r"CLM-[A-Z0-9]{8}", reference), reference
    return reference


def sign_in(page, base: str, sink: SmtpSink, email: str, *, seen=None) -> None:
    """Ask for a sign-in link, open it from the email, press Sign in."""
    seen = seen or (lambda name, page: None)
    page.goto(base + "/staff/sign-in")
    seen("staff-sign-in", page)
    page.fill("#email", email)
    with page.expect_navigation():
        page.press("#email", "Enter")
    seen("staff-check-email", page)
    code = re.search(r"SIGNIN-[0-9A-F]{6}", page.content()).group(0)
    [mail] = sink.wait(code, "sign in", to=email)
    [url] = links(text_of(mail), "Sign in")
    page.goto(url)
    seen("staff-sign-in-link", page)
    page.click("#sign-in")
    page.wait_for_url(re.compile(r".*/staff/(claims|finance|recruitment|register|people|away)$"))


def sign_out(page) -> None:
    page.click("button.nhsuk-header__account-button")
    page.wait_for_url("**/staff/sign-in")


def approval_link(sink: SmtpSink, reference: str, word: str = "Approve") -> str:
    [mail] = sink.wait(reference, "approval", to=LEAD)
    [url] = links(text_of(mail), word)
    return url


def activity_invitation(live: LiveServer, sink: SmtpSink) -> tuple[str, str]:
    """A forum meeting next week with one person invited; returns (its reference, their Accept: link)."""
    person = "pat.forum@example.org"
    assert live.cli("register", "add", "--email", person, "--name", "Pat Forum", "--by", live.admin).returncode == 0
    day = (date.today() + timedelta(days=7)).isoformat()
    r, made = live.cli_json("activity", "create", "--kind", "forum_meeting", "--title", "Havering user forum",
                            "--date", day, "--start", "10:00", "--end", "12:00", "--borough", "havering",
                            "--invite", person, "--by", COORD)
    assert r.returncode == 0, r.stderr
    [mail] = sink.wait(made["reference"], "Havering user forum", to=person)
    [url] = links(text_of(mail), "Accept")
    return made["reference"], url


def visit_all(page, live: LiveServer, sink: SmtpSink, seen) -> dict:
    """Every page, in a realistic order; returns the references made on the way."""
    base = live.url
    ref = claim_by_keyboard(page, base, "kim.baker@example.org", seen=seen)
    page.goto(base + "/claim")  # a new claim
    page.goto(base + "/claim/about-you")
    page.fill("#email", "not an email")
    with page.expect_navigation():
        page.click("#continue")
    seen("claim-error-summary", page)
    page.goto(approval_link(sink, ref))
    seen("action-approve", page)
    page.goto(approval_link(sink, ref, "Reject"))
    seen("action-reject", page)
    page.goto(approval_link(sink, ref))
    with page.expect_navigation():
        page.click("main button[type=submit]")
    seen("action-done", page)
    second = claim_by_keyboard(page, base, "lee.cole@example.org", days_ago=5)
    sink.wait(second, "approval", to=LEAD)
    sign_in(page, base, sink, COORD, seen=seen)
    seen("staff-claims", page)
    page.goto(base + "/staff/claims?status=awaiting_approval")
    seen("staff-claims-filtered", page)
    page.goto(f"{base}/staff/claims/{second}")
    seen("staff-claim", page)
    r = live.cli("plan", "load", str(PLAN), "--by", COORD)
    assert r.returncode == 0, r.stderr
    page.goto(f"{base}/staff/plan")
    seen("staff-plan", page)
    activity, invited = activity_invitation(live, sink)
    page.goto(f"{base}/staff/activities")
    seen("staff-activities", page)
    page.goto(f"{base}/staff/activities/{activity}")
    seen("staff-activity", page)
    sign_out(page)
    page.goto(invited)
    seen("action-activity-accept", page)
    sign_in(page, base, sink, FINANCE)
    seen("staff-finance", page)
    page.goto(f"{base}/staff/claims/{ref}")
    seen("staff-claim-finance", page)
    sign_out(page)
    day = (date.today() + timedelta(days=40)).isoformat()
    r, rec = live.cli_json("recruitment", "start", "--title", "Band 6 Community Nurse", "--staff-group",
                           "nurse", "--borough", "havering", "--interview-date", day, "--panel-size", "2",
                           "--by", HR)
    sign_in(page, base, sink, HR)
    seen("staff-recruitment", page)
    if r.returncode == 0 and rec:
        page.goto(f"{base}/staff/recruitment/{rec['reference']}")
        seen("staff-recruitment-page", page)
    page.goto(f"{base}/staff/recruitment/new")
    seen("staff-recruitment-new", page)
    with page.expect_navigation():
        page.click("#start-recruitment")
    seen("staff-recruitment-new-errors", page)
    page.goto(f"{base}/staff/away")
    seen("staff-away", page)
    sign_out(page)
    visit_staff_side(page, live, sink, seen, waiting=second)
    return {"approved": ref, "waiting": second}


def visit_staff_side(page, live: LiveServer, sink: SmtpSink, seen, *, waiting: str) -> None:
    """The co-ordinator's search, bulk approval and register pages, the person's own page, the admin's."""
    base = live.url
    r = live.cli("register", "add", "--email", "pat.page@example.org", "--name", "Pat Page", "--borough",
                 "havering", "--by", live.admin)
    assert r.returncode == 0, r.stderr
    sign_in(page, base, sink, COORD)
    page.goto(f"{base}/staff/claims?q={waiting}")
    seen("staff-claims-search", page)
    page.check(f"#pick-{waiting}")
    with page.expect_navigation():
        page.click("#approve-selected")
    seen("staff-claims-confirm", page)
    page.goto(f"{base}/staff/register")
    seen("staff-register", page)
    page.click("text=Pat Page")
    page.wait_for_url(re.compile(r".*/staff/register/PER-\d+$"))
    seen("staff-person", page)
    person_url = page.url
    page.goto(person_url + "/edit")
    seen("staff-person-edit", page)
    page.fill("#name", "")
    with page.expect_navigation():
        page.click("#save")
    seen("staff-person-edit-errors", page)
    page.goto(person_url)
    with page.expect_navigation():
        page.click("#send-link")
    [mail] = sink.wait("PER-", "details", to="pat.page@example.org")
    [url] = links(text_of(mail), "Update your details")
    sign_out(page)
    page.goto(url)
    seen("person-details", page)
    page.fill("#account_name", "P Page")  # bank details that fail the modulus check: the error state
    page.fill("#sort_code", "08-99-99")
    page.fill("#account_number", "66374959")
    page.click(".nhsuk-details__summary")  # the payroll questions
    page.fill("#ni_number", "12345")
    with page.expect_navigation():
        page.click("#save")
    assert page.locator(".nhsuk-error-summary").is_visible()
    seen("person-details-errors", page)
    page.goto(base + "/your-details")  # asking for the link: the form with its error, the answer
    page.fill("#email", "not an email")
    with page.expect_navigation():
        page.click("#send-link")
    seen("person-your-details-error", page)
    page.fill("#email", "pat.page@example.org")
    with page.expect_navigation():
        page.click("#send-link")
    seen("person-your-details-sent", page)
    sign_in(page, base, sink, live.admin)
    page.goto(f"{base}/staff/people")
    seen("staff-people", page)
    sign_out(page)


def width_at(page, width: int = 375) -> int:
    """The page's scroll width with the viewport `width` wide, measured after the header's resize
    handler (it re-flows the navigation) has run; the viewport goes back to 1100 px afterwards."""
    page.set_viewport_size({"width": width, "height": 800})
    try:
        page.evaluate("() => new Promise(r => requestAnimationFrame(() => requestAnimationFrame(r)))")
        page.wait_for_timeout(150)
        return page.evaluate("document.documentElement.scrollWidth")
    finally:
        page.set_viewport_size({"width": 1100, "height": 900})
