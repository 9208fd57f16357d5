"""The finance pages over HTTP: ready and waiting claims apart (no "nothing to pay" beside listed
claims), a run made and marked paid after a confirmation step, one payment recorded after a
confirmation step showing the payment method, a bank-detail change checked; and the claim form
refusing bank details that fail the modulus check."""
from __future__ import annotations

import re

from fastapi.testclient import TestClient

from involve.web.app import create_app
from tests.integration.finance_support import FIN, FIN2, approved, get, mails, setup_people
from tests.integration.test_pages_http import csrf, fill_claim
from tests.staff_sign_in import sign_in

OTHER_BANK = {"account_name": "S Okafor", "sort_code": "08-99-99", "account_number": "66374958"}


def test_finance_page_runs_and_mark_paid_with_confirmation(db, example_claim):
    setup_people()
    ready = approved(example_claim, 2)
    waiting = approved(example_claim, 1, start=4, email="kim@example.org", method=None)
    with TestClient(create_app()) as c:
        sign_in(c, FIN)
        page = c.get("/staff/finance")
        assert page.status_code == 200
        ready_part = page.text.split('id="waiting"')[0]
        assert all(r in ready_part for r in ready) and waiting[0] not in ready_part
        assert waiting[0] in page.text.split('id="waiting"')[1] and "Bank transfer" in page.text
        token = csrf(page)
        r = c.post("/staff/finance/run", data={"csrf_token": token, "format": "csv"})
        assert r.status_code == 200 and r.headers["content-type"].startswith("text/csv")
        again = c.post("/staff/finance/run", data={"csrf_token": token, "format": "csv"})
        assert again.status_code == 409 and "No claim is ready to pay" in again.text
        run = re.search(r"(RUN-[A-Z0-9]+)/mark-paid", again.text).group(1)
        confirm = c.get(f"/staff/finance/runs/{run}/mark-paid")
        assert confirm.status_code == 200 and all(r in confirm.text for r in ready)
        assert all(get(r).status == "approved" for r in ready)  # the GET changes nothing
        done = c.post(f"/staff/finance/runs/{run}/mark-paid", data={"csrf_token": token}, follow_redirects=True)
        assert done.status_code == 200 and "marked paid" in done.text
        assert all(get(r).status == "paid" for r in ready) and len(mails("claim_paid")) == 2
        assert "Mark paid" not in done.text.split('id="runs"')[1].split('id="failed"')[0]


def test_record_one_payment_after_confirmation(db, example_claim):
    setup_people()
    [ref] = approved(example_claim, 1)
    with TestClient(create_app()) as c:
        sign_in(c, FIN)
        token = csrf(c.get("/staff/finance"))
        assert f'href="/staff/finance/pay/{ref}"' in c.get(f"/staff/claims/{ref}").text  # no one-click payment
        confirm = c.get(f"/staff/finance/pay/{ref}")
        assert "Bank transfer".lower() in confirm.text.lower() and "******78" in confirm.text
        r = c.post(f"/staff/claims/{ref}/pay", data={"csrf_token": token, "next": "/staff/finance",
                                                     "payment_ref": "BACS-1"}, follow_redirects=True)
        assert r.status_code == 200 and get(ref).status == "paid"


def test_bank_change_checked_on_the_page(db, example_claim):
    from involve.services import payee_changes
    from tests.integration.finance_support import link_in

    setup_people()
    approved(example_claim, 1)
    approved(example_claim, 1, start=1, bank=OTHER_BANK)
    with TestClient(create_app()) as c:
        sign_in(c, FIN2)
        page = c.get("/staff/finance")
        link = re.search(r'href="(/staff/finance/bank-changes/\d+)"', page.text).group(1)
        assert "Not yet" in c.get(link).text and 'id="confirm"' not in c.get(link).text
        payee_changes.answer_change(link_in(mails("bank_details_change")[0], "confirm_url"), confirm=True)
        assert 'id="confirm"' in c.get(link).text
        r = c.post("/staff/finance/bank-changes/check", data={"csrf_token": csrf(page),
                                                              "email": "sam.okafor@example.org"},
                   follow_redirects=True)
        assert r.status_code == 200 and "No changes waiting" in r.text


def test_why_a_payment_failed_and_a_new_link_for_missing_details(db, example_claim):
    from involve.services import payment_returns, payment_runs
    from involve.settings import settings

    setup_people()
    [returned] = approved(example_claim, 1)
    [waiting] = approved(example_claim, 1, start=4, email="kim@example.org", method=None)
    run = payment_runs.create_run(by=FIN, out_dir=settings.payment_runs_dir)
    payment_returns.mark_failed(returned, reason="Account closed (ARUCS 2)", by=FIN)
    with TestClient(create_app()) as c:
        sign_in(c, FIN2)
        page = c.get("/staff/finance")
        failed = page.text.split('id="failed"')[1].split('id="changes"')[0]
        assert returned in failed and "Account closed (ARUCS 2)" in failed and run.reference in failed
        assert "1 payment returned" in page.text.split('id="run-list"')[1]
        run_page = c.get(f"/staff/finance/runs/{run.reference}/mark-paid")
        assert "Payments the bank returned" in run_page.text and "Account closed (ARUCS 2)" in run_page.text
        claim_page = c.get(f"/staff/claims/{returned}")
        assert 'id="payment-failure"' in claim_page.text and "Account closed (ARUCS 2)" in claim_page.text
        held = page.text.split('id="waiting"')[1].split('id="run"')[0]
        assert waiting in held and "Asked once; the link works until" in held
        r = c.post(f"/staff/finance/ask-details/{waiting}", data={"csrf_token": csrf(page)}, follow_redirects=True)
        assert r.status_code == 200 and f"payment details for claim {waiting}" in r.text
        assert "Asked 2 times" in r.text.split('id="waiting"')[1]
        assert [m.reference for m in mails("payment_details")].count(waiting) == 2
        r = c.post(f"/staff/finance/ask-details/{returned}", data={"csrf_token": csrf(page)})
        assert r.status_code == 409 and "does not wait for its person" in r.text  # the bank details pass


def test_claim_form_refuses_bank_details_failing_the_modulus_check(db):
    with TestClient(create_app()) as c:
        token = fill_claim(c)
        r = c.post("/claim/bank", data={"csrf_token": token, "account_name": "K Baker", "sort_code": "089999",
                                        "account_number": "66374959"})
        assert r.status_code == 400 and "do not match" in r.text
        r = c.post("/claim/bank", data={"csrf_token": token, "account_name": "K Baker", "sort_code": "089999",
                                        "account_number": "66374958"}, follow_redirects=False)
        assert r.status_code == 303
