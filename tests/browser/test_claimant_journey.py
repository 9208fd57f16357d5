"""The claimant's side end to end: a real `involve serve`, a real SMTP sink, Chromium for the pages.

One journey: the form with a receipt photo (no `receipt_missing`); a webhook claim's `Add receipts:`
link clears its flag; `claims ask` -> `Reply:` with a changed cost -> back to the approver; a lower-amount
approval tells the person the amount and the reason; "Your claims" shows each status in words; the
statement's totals equal the payments (by SQL). axe runs on every new page (and error states) at
desktop width and at 375 px, where nothing may scroll sideways.
"""
from __future__ import annotations

import copy
import io
import json
import os
import sqlite3
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

from axe_playwright_python.sync_playwright import Axe
from PIL import Image

from tests.browser.tour import COORD, FINANCE, new_page
from tests.e2e.harness import links, text_of

SAM = "sam.okafor@example.org"
BLOCKING = ("minor", "moderate", "serious", "critical")  # new pages: 0 violations of any impact


def photo(path) -> str:
    buf = io.BytesIO()
    exif = Image.Exif()
    exif[0x010F] = "PhoneCam"
    Image.new("RGB", (320, 240), (240, 240, 230)).save(buf, "JPEG", exif=exif.tobytes())
    path.write_bytes(buf.getvalue())
    return str(path)


class AxeCheck:
    def __init__(self) -> None:
        self.found: dict[str, list[str]] = {}

    def __call__(self, page, name: str) -> None:
        page.wait_for_load_state("load")
        for width, label in ((1100, "desktop"), (375, "375px")):
            page.set_viewport_size({"width": width, "height": 900})
            violations = Axe().run(page).response["violations"]
            wide = page.evaluate("document.documentElement.scrollWidth") > width
            self.found[f"{name} {label}"] = [f"{v['id']} ({v['impact']})" for v in violations
                                             if v["impact"] in BLOCKING] + (["horizontal scroll"] if wide else [])
        page.set_viewport_size({"width": 1100, "height": 900})


def test_claimant_journey(browser, live, sink, example_claim, tmp_path):
    axe = AxeCheck()
    page = new_page(browser, live.url)
    base = live.url
    day = date.today() - timedelta(days=3)

    # 1. the form, with a receipt photo for the bus fare
    page.goto(base + "/claim")
    axe(page, "start")
    page.click("#start")
    page.fill("#name", "Kim Baker")
    page.fill("#email", "kim.receipts@example.org")
    page.click("#continue")
    page.check("#kind")
    page.fill("#title", "User Forum")
    page.fill("#date-day", str(day.day))
    page.fill("#date-month", str(day.month))
    page.fill("#date-year", str(day.year))
    page.fill("#start", "9.30am")
    page.fill("#end", "12pm")
    page.check("#borough")
    page.click("#continue")
    page.wait_for_url("**/claim/fee")
    page.check("#fee")
    page.click("#continue")
    page.check("#costs")
    page.fill("#public_transport", "£6.80")
    page.set_input_files("#receipt-public_transport", {"name": "setup.exe.jpg", "mimeType": "image/jpeg",
                                                       "buffer": b"MZ" + b"\0" * 300})
    page.click("#continue")
    assert "setup.exe.jpg" in page.locator(".nhsuk-error-summary").inner_text()
    assert page.input_value("#public_transport") == "£6.80"
    axe(page, "expenses with a refused file")
    page.set_input_files("#receipt-public_transport", photo(tmp_path / "bus.jpg"))
    page.click("#continue")
    page.wait_for_url("**/claim/payment")
    page.check("#method-2")  # payroll
    page.click("#continue")
    page.wait_for_url("**/claim/check")
    text = page.locator("main").inner_text()
    assert "££" not in text and "£6.80" in text and "Total" in text and "bus.jpg" in text
    axe(page, "check answers")
    shots = Path(os.environ.get("INVOLVE_SCREENSHOT_DIR") or tmp_path)
    page.screenshot(path=str(shots / "check-answers.png"), full_page=True)
    page.check("#declaration")
    page.click("#send")
    page.wait_for_url("**/claim/confirmation")
    axe(page, "confirmation")
    form_ref = page.locator("#reference").inner_text().strip()
    sink.wait(form_ref, "received", to="kim.receipts@example.org")
    _, shown = live.cli_json("claims", "show", form_ref)
    assert "receipt_missing" not in shown["flags"]
    assert [e["receipt_attached"] for e in shown["expenses"]] == [True]

    # 2. a webhook claim: Add receipts clears its flag
    claim = copy.deepcopy(example_claim)
    claim["activity"].update(date=day.isoformat(), lead_email=None)
    claim["activity"].pop("lead_email")
    r = live.post_claim(claim, msg_id="claimant-e2e-1")
    assert r.status_code == 202, r.text
    ref = r.json()["reference"]
    [received] = sink.wait(ref, "received", to=SAM)
    [add] = links(text_of(received), "Add receipts")
    page.goto(add)
    axe(page, "add receipts")
    page.set_input_files("input[type=file]", photo(tmp_path / "ticket.jpg"))
    page.click("#send-receipts")
    assert "Thank you" in page.locator("main").inner_text()
    _, shown = live.cli_json("claims", "show", ref)
    assert "receipt_missing" not in shown["flags"]

    # 3. a question, answered with a changed cost, goes back to the approver
    r = live.cli("claims", "ask", ref, "--by", COORD, "--question", "Was the bus fare £6.80 or £5.80?")
    assert r.returncode == 0, r.stderr
    [question] = sink.wait(ref, "question", to=SAM)
    [reply] = links(text_of(question), "Reply")
    page.goto(reply)
    page.click("#send-answer")
    axe(page, "reply with errors")
    page.fill("#answer", "It was £5.80, sorry.")
    bus = page.locator("input[id^=amount-]").first
    bus.fill("5.80")
    page.click("#send-answer")
    assert "gone back to the person approving" in page.locator("main").inner_text()
    _, shown = live.cli_json("claims", "show", ref)
    assert (shown["status"], shown["expenses_amount"]) == ("awaiting_approval", "37.00")
    assert sink.wait(ref, "answered", to=COORD)

    # 4. approved for less, with a reason the person is told
    r = live.cli("claims", "approve", ref, "--by", COORD, "--amount", "100.00", "--reason", "The panel ended early")
    assert r.returncode == 0, r.stderr
    [approved] = sink.wait(ref, "approved", to=SAM)
    body = text_of(approved)
    assert "£100.00" in body and "The panel ended early" in body and "You should receive it by" in body
    assert live.cli("claims", "pay", ref, "--by", FINANCE).returncode == 0

    # 5. Your claims
    page.goto(base + "/claims/status")
    axe(page, "claims status")
    page.click("#send-link")
    axe(page, "claims status with an error")
    page.fill("#email", SAM)
    page.click("#send-link")
    axe(page, "check your email")
    [yours] = sink.wait("Your claims", to=SAM)
    [url] = links(text_of(yours), "Your claims")
    page.goto(url)
    assert ref in page.content() and "Paid" in page.locator("main").inner_text()
    axe(page, "your claims")
    page.goto(f"{base}/claims/mine/{ref}")
    assert "You answered our question" in page.locator("main").inner_text()
    axe(page, "your claim")
    year = f"{day.year if day >= date(day.year, 4, 6) else day.year - 1}"
    year = f"{year}-{(int(year) + 1) % 100:02d}"
    page.goto(f"{base}/claims/mine/statement?year={year}")
    assert "Expenses are not earnings" in page.locator("main").inner_text()
    axe(page, "statement")
    for path in ("/privacy", "/accessibility", "/cookies", "/no/such/page"):
        page.goto(base + path)
        axe(page, path)

    # 6. the statement's totals are the payments
    r = live.cli("statement", "--email", SAM, "--tax-year", year, "--out", str(tmp_path / "st"), "--json")
    st = json.loads(r.stdout)
    db = sqlite3.connect(live.workdir / "involve.db")
    paid = db.execute("SELECT sum(p.amount) FROM payments p JOIN claims c ON c.id = p.claim_id "
                      "WHERE c.claimant_email = ?", (SAM,)).fetchone()[0]
    db.close()
    assert Decimal(st["fee_paid"]) + Decimal(st["expenses_paid"]) == Decimal(str(paid)).quantize(Decimal("0.01"))
    assert (tmp_path / "st" / "statement.csv").is_file()
    page.context.close()
    bad = {name: v for name, v in axe.found.items() if v}
    assert not bad, bad
