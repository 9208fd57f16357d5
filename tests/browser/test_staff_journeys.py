"""In a real Chromium: a whole recruitment through HR's pages alone (the panel member answering through
their email links, scoring through `Score:`), and a register edit through the co-ordinator's pages and
the person's own `Update your details:` page. No page is wider than a 375 px phone."""
from __future__ import annotations

import re
from datetime import date, timedelta

from tests.browser.tour import COORD, HR, sign_in, sign_out, width_at
from tests.e2e.harness import links, text_of

RAE = "rae.panel@example.org"


def narrow_fits(page) -> bool:
    return width_at(page, 375) <= 375


def link_from(sink, ref: str, word: str, subject: str) -> str:
    [mail] = sink.wait(ref, subject, to=RAE, timeout=90)
    [url] = links(text_of(mail), word)
    return url


def press_link(page, url: str, fill: dict | None = None) -> None:
    page.goto(url)
    for selector, value in (fill or {}).items():
        if selector.startswith("select"):
            page.select_option(selector.split(":", 1)[1], value)
        else:
            page.fill(selector, value)
    with page.expect_navigation():
        page.click("main form[method=post] button[type=submit]")


def hr_post(page, button: str) -> None:
    with page.expect_navigation():
        page.click(button)
    assert page.locator(".nhsuk-notification-banner").is_visible(), page.content()[-2000:]


def test_a_recruitment_through_hr_pages_and_a_register_edit(page, live, sink):
    base = live.url
    trained = (date.today() - timedelta(days=100)).isoformat()
    r = live.cli("register", "add", "--email", RAE, "--name", "Rae Panel", "--borough", "havering",
                 "--recruitment-consent", "--panel-trained-on", trained, "--by", live.admin)
    assert r.returncode == 0, r.stderr
    sign_in(page, base, sink, HR)
    page.goto(base + "/staff/recruitment/new")
    page.fill("#title", "Band 7 Ward Manager")
    page.select_option("#staff_group", "nurse")
    page.select_option("#borough", "havering")
    today = date.today()
    page.fill("#interview_date-day", str(today.day))
    page.fill("#interview_date-month", str(today.month))
    page.fill("#interview_date-year", str(today.year))
    page.fill("#panel_size", "1")
    page.fill("#job_description", "Draft: lead the ward team.")
    hr_post(page, "#start-recruitment")
    ref = re.search(r"REC-[0-9A-Z-]+", page.locator("h1").inner_text()).group(0)
    assert "Nurse" in page.content() and narrow_fits(page)

    press_link(page, link_from(sink, ref, "Accept", "invitation"))
    press_link(page, link_from(sink, ref, "Comment", "job description"), {"#comment_1": "Say we value kindness."})
    page.goto(f"{base}/staff/recruitment/{ref}")
    assert "Say we value kindness." in page.content()
    page.check("input[name=decision][value=accept]")
    page.fill("input[name=reason]", "Added to the values")
    hr_post(page, "main form[action$='/comment'] button")
    page.fill("#final", "Final: lead the ward team with kindness.")
    hr_post(page, "#save-final")
    decision = text_of(sink.wait(ref, "comments on the job description", to=RAE, timeout=90)[0])
    assert "Added to the values" in decision and "Final: lead the ward team with kindness." in decision
    page.fill("#question-text", "Tell us about a time you listened.")
    hr_post(page, "#add-question")
    hr_post(page, "main form[action$='/question-used'] button")
    hr_post(page, "main form[action$='/attend'] button")
    question = page.locator("#score-question option").first.get_attribute("value")
    press_link(page, link_from(sink, ref, "Score", "thank"), {"#candidate_1": "Candidate A",
                                                               "select:#question_1": question,
                                                               "select:#score_1": "4"})
    assert "Thank you" in page.content()
    page.goto(f"{base}/staff/recruitment/{ref}")
    assert "Candidate A" in page.locator("#scores").inner_text()
    page.fill("#outcome", "Candidate A appointed")
    hr_post(page, "#close-recruitment")
    assert "Closed" in page.locator(".nhsuk-summary-list").inner_text() and narrow_fits(page)
    sign_out(page)

    # the register: a co-ordinator changes Rae's access needs, then Rae updates her own details
    sign_in(page, base, sink, COORD)
    page.goto(base + "/staff/register?q=rae")
    with page.expect_navigation():
        page.click("text=Rae Panel")
    assert ref in page.content() or "Band 7 Ward Manager" in page.content()  # her involvement history
    with page.expect_navigation():
        page.click("#edit")
    page.fill("#access_needs", "Step-free access")
    with page.expect_navigation():
        page.click("#save")
    assert "Step-free access" in page.content() and narrow_fits(page)
    with page.expect_navigation():
        page.click("#send-link")
    sign_out(page)
    [mail] = sink.wait("PER-", "details", to=RAE, timeout=90)
    [url] = links(text_of(mail), "Update your details")
    page.goto(url)
    page.check("input[name=religion][value=prefer_not_to_say]")
    page.check("input[name=preferred_format][value=large_print]")
    page.check("input[name=language][value=ro]")
    page.fill("#account_name", "R Panel")
    page.fill("#sort_code", "08-99-99")
    page.fill("#account_number", "66374958")
    with page.expect_navigation():
        page.click("#save")
    assert "saved your details" in page.content()
    _, shown = live.cli_json("register", "show", RAE)
    assert (shown["religion"], shown["preferred_format"], shown["access_needs"], shown["language"]) == (
        "prefer_not_to_say", "large_print", "Step-free access", "ro")
