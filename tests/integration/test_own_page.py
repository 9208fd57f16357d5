"""A person's own page (`Update your details:`), SQLite and PostgreSQL: asking for the link at
/your-details (the same answer whether or not the address is in the register; rate-limited with
/claims/status), the link in invitations, language and format used for their emails, and payment
details to the payee record held once (first details kept, a change checked by finance first; modulus
errors on the page; never shown in full)."""
from __future__ import annotations

import re

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from involve import settings as settings_module
from involve.db import reader, unit_of_work
from involve.mail.render import build_message, render
from involve.services import claimant_links, payee_changes, payment_runs, processing, register
from involve.services.payees import current_bank, payroll_ids, same_account
from involve.services.people import add_person
from involve.web.app import create_app
from models import AuditRecord, OutboxEmail, Payee, Person
from tests.integration.finance_support import FIN, FIN2, approved, get, mails, setup_people
from tests.integration.test_lifecycle import COORD, submit
from tests.staff_sign_in import sign_in

SAM = "sam.okafor@example.org"
OTHER_BANK = {"account_name": "S Okafor", "sort_code": "08-99-99", "account_number": "66374958"}
BAD_BANK = {"account_name": "S Okafor", "sort_code": "08-99-99", "account_number": "66374959"}


@pytest.fixture
def client(db):
    setup_people()
    with TestClient(create_app()) as c:
        yield c


def person(email: str = SAM) -> Person:
    with reader() as s:
        return s.execute(select(Person).where(Person.email == email)).scalar_one()


def payee(email: str = SAM) -> Payee | None:
    with reader() as s:
        return s.execute(select(Payee).where(Payee.email == email)).scalar_one_or_none()


def own_link(email: str = SAM) -> str:
    """A fresh `Update your details:` link for `email` (as a co-ordinator sends it), as a path."""
    register.send_details_link(email, by=COORD)
    mail = mails("register_details")[-1]
    _s, text, _h = render(mail.template, mail.context)
    url = re.search(r"^Update your details: (\S+)$", text, re.M).group(1)
    return re.sub(r"^https?://[^/]+", "", url)


def test_your_details_sends_the_link_only_to_the_register_and_answers_the_same(client):
    with unit_of_work() as s:
        add_person(s, email="gone@example.org", name="Gone")
    register.deactivate("gone@example.org", by=COORD)
    page = client.get("/your-details")
    assert page.status_code == 200 and 'action="/your-details"' in page.text and 'name="email"' in page.text
    answers = {e: client.post("/your-details", data={"email": e})
               for e in (SAM, "nobody@example.org", "gone@example.org")}
    assert {r.status_code for r in answers.values()} == {200}
    assert len({r.text.replace(e, "EMAIL") for e, r in answers.items()}) == 1  # nobody learns who is in it
    [sent] = mails("register_details")
    assert sent.to_addr == SAM and sent.reference == f"PER-{person().id}"
    assert client.post("/your-details", data={"email": SAM.upper()}).status_code == 200
    assert len(mails("register_details")) == 1  # asking again within minutes sends nothing more
    bad = client.post("/your-details", data={"email": "not an email"})
    assert bad.status_code == 400 and "Enter your email address" in bad.text and 'href="#email"' in bad.text
    subject, text, _html = render(sent.template, sent.context)
    assert f"PER-{person().id}" in subject and "days" in text
    url = re.sub(r"^https?://[^/]+", "", re.search(r"^Update your details: (\S+)$", text, re.M).group(1))
    own = client.get(url)
    assert own.status_code == 200 and "Sam Okafor" in own.text and "How we pay you" in own.text
    start = client.get("/claim")
    assert 'href="/your-details"' in start.text  # the footer and the start page


def test_your_details_shares_the_status_rate_limit(db, monkeypatch):
    monkeypatch.setenv("INVOLVE_RATE_LIMIT_STATUS", "3/minute")
    settings_module.reset_settings()
    with TestClient(create_app()) as c:
        codes = [c.post("/claims/status", data={"email": "a@example.org"}).status_code,
                 c.post("/your-details", data={"email": "a@example.org"}).status_code,
                 c.post("/your-details", data={"email": "b@example.org"}).status_code,
                 c.post("/your-details", data={"email": "c@example.org"}).status_code]
        assert codes == [200, 200, 200, 429]
        assert c.get("/your-details").status_code == 200  # the page itself is not limited


def test_invitations_carry_the_update_details_link(db, monkeypatch):
    from tests.integration.test_activities import ANN, invitation
    from tests.integration.test_activities import create as create_activity
    from tests.integration.test_activities import setup as setup_activities

    setup_activities()
    with unit_of_work() as s:
        add_person(s, email=ANN, name="Ann", borough="havering", language="ro")
    assert create_activity("--invite", ANN).exit_code == 0
    mail = invitation(ANN)
    _s, text, html = render(mail.template, mail.context)
    [url] = re.findall(r"^Update your details: (\S+)$", text, re.M)
    assert "Puteți, de asemenea, să verificați" in text and f'href="{url}"' in html  # in Ann's language
    with TestClient(create_app()) as c:
        page = c.get(re.sub(r"^https?://[^/]+", "", url))
        assert page.status_code == 200 and "Ann" in page.text and 'lang="ro"' in page.text


def test_recruitment_invitations_carry_the_update_details_link(db, monkeypatch):
    from involve.services.recruitment_panel import advance_due
    from tests.integration import test_recruitment as rec

    rec.setup_register()
    rec.start(rec.at(-20, monkeypatch))
    assert advance_due()["invited"] == 2
    for mail in mails("recruitment_invitation"):
        _s, text, _h = render(mail.template, mail.context)
        [url] = re.findall(r"^Update your details: (\S+)$", text, re.M)
        assert url == mail.context["details_url"]


def test_language_and_format_from_the_own_page_are_used_for_their_emails(client, example_claim):
    link = own_link()
    page = client.get(link)
    assert "اردو" in page.text and "Română" in page.text and 'value="large_print"' in page.text
    assert 'value="braille"' not in page.text  # the formats emails come in
    bad = client.post(link, data={"confirm": "yes", "language": "xx", "availability_note": "Mornings"})
    assert bad.status_code == 400 and "Choose one of the languages" in bad.text
    assert (person().language, person().availability_note) == (None, None)  # nothing changed
    ok = client.post(link, data={"confirm": "yes", "language": "ur", "preferred_format": "large_print"})
    assert ok.status_code == 200 and "saved your details" in ok.text
    assert (person().language, person().preferred_format) == ("ur", "large_print")
    example_claim["claimant"]["language"] = "en"  # the register's choice wins over the claim's
    submit(example_claim)
    processing.process_batch()
    [received] = mails("claim_received")
    assert (received.context["language"], received.context["format"]) == ("ur", "large_print")
    assert received.context["your_details_url"].endswith("/your-details")
    msg = build_message(template=received.template, context=received.context, to=SAM, sender="x@example.org",
                        outbox_id=1)
    assert msg["Content-Language"] == "ur"
    register.send_details_link(SAM, by=COORD)
    assert mails("register_details")[-1].context["language"] == "ur"
    with TestClient(create_app()) as staff:  # staff pages stay English and show the person's language
        sign_in(staff, COORD)
        shown = staff.get(f"/staff/register/PER-{person().id}").text
        assert "Urdu" in shown and "Large print" in shown


def test_first_bank_and_payroll_details_from_the_own_page(client):
    link = own_link()
    assert "We do not have your bank details yet" in client.get(link).text
    bad = client.post(link, data={"confirm": "yes", "availability_note": "Mornings", **BAD_BANK})
    assert bad.status_code == 400 and "do not match" in bad.text and 'href="#account_number"' in bad.text
    assert "66374959" not in bad.text  # never shown back in full
    bad = client.post(link, data={"confirm": "yes", "ni_number": "123456", "payroll_reference": "no spaces"})
    assert bad.status_code == 400 and "National Insurance number in the right format" in bad.text
    assert "payroll number using letters" in bad.text
    half = client.post(link, data={"confirm": "yes", "account_name": "S Okafor"})
    assert half.status_code == 400 and "Enter the sort code" in half.text
    assert payee() is None and person().availability_note is None  # nothing changed
    ok = client.post(link, data={"confirm": "yes", **OTHER_BANK, "ni_number": "ab 12 34 56 c",
                                 "payroll_reference": "P-123"})
    assert ok.status_code == 200 and "saved your details" in ok.text and "finance team" not in ok.text
    held = payee()
    assert same_account(current_bank(held), OTHER_BANK) and held.pending_encrypted is None
    assert held.bank_details_masked == "******58" and held.details_source == "own page"
    assert payroll_ids(held) == {"ni_number": "AB123456C", "payroll_reference": "P-123"}
    again = client.get(own_link()).text
    assert "66374958" not in again and "AB123456C" not in again and "AB******C" in again and ">58<" in again
    with reader() as s:
        records = s.execute(select(AuditRecord).where(AuditRecord.entity == "payee")).scalars().all()
    assert {r.action for r in records} == {"payment_details", "payroll_details"}
    assert "66374958" not in str([r.data for r in records]) and "AB123456C" not in str([r.data for r in records])


def test_a_change_of_bank_details_on_the_own_page_waits_for_finance(client, example_claim, tmp_path):
    first = approved(example_claim, 1)[0]  # the claim's details became Sam's payee record
    ok = client.post(own_link(), data={"confirm": "yes", **OTHER_BANK})
    assert ok.status_code == 200 and "finance team will check the change" in ok.text
    held = payee()
    assert not same_account(current_bank(held), OTHER_BANK) and held.pending_confirmed_at is not None
    assert "bank_details_changed" in get(first).flags
    with pytest.raises(payment_runs.NothingToPay):
        payment_runs.create_run(by=FIN, out_dir=tmp_path)  # no payment before the finance check
    page = client.get(own_link()).text
    assert "New bank account, not used yet" in page and "checks this change" in page
    payee_changes.check_change(SAM, by=FIN2)
    run = payment_runs.create_run(by=FIN, out_dir=tmp_path, include_bank_details=True)
    assert run.claims == [first] and "66374958" in run.path.read_text()


def test_good_details_on_the_own_page_replace_invalid_ones_from_a_claim(client, example_claim, tmp_path):
    ref = approved(example_claim, 1, bank=BAD_BANK)[0]
    assert "bank_details_invalid" in get(ref).flags
    assert client.post(own_link(), data={"confirm": "yes", **OTHER_BANK}).status_code == 200
    assert "bank_details_invalid" not in get(ref).flags
    assert payment_runs.create_run(by=FIN, out_dir=tmp_path).claims == [ref]


def test_your_claims_still_answers_the_same_either_way(client, example_claim):
    """/claims/status shares the page and the sending with /your-details."""
    submit(example_claim)
    assert claimant_links.request_your_claims(SAM) is True
    assert claimant_links.request_your_claims("nobody@example.org") is False
    with reader() as s:
        sent = s.execute(select(OutboxEmail.to_addr).where(OutboxEmail.template == "your_claims")).scalars().all()
    assert sent == [SAM]
    page = client.get("/claims/status")
    assert 'action="/claims/status"' in page.text and "See your claims" in page.text
