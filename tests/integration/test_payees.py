"""The payee record and guarded changes of bank details; bank details that fail the modulus check;
claims without payment details; a Bacs run from the database. SQLite and PostgreSQL."""
from __future__ import annotations

from decimal import Decimal

import pytest
from fastapi.testclient import TestClient

from involve.errors import NotAllowed, WrongState
from involve.services import payee_changes, payment_runs, processing
from involve.web.app import create_app
from tests.integration.finance_support import (
    FIN,
    FIN2,
    approved,
    get,
    link_in,
    mails,
    setup_people,
    sql_money,
)

OTHER_BANK = {"account_name": "S Okafor", "sort_code": "08-99-99", "account_number": "66374958"}
BAD_BANK = {"account_name": "S Okafor", "sort_code": "08-99-99", "account_number": "66374959"}


def test_change_of_bank_details_needs_the_person_and_a_second_person(db, example_claim, tmp_path):
    setup_people()
    first = approved(example_claim, 1)[0]  # the first claim's details become the payee record
    assert "bank_details_changed" not in get(first).flags
    changed = approved(example_claim, 1, start=1, bank=OTHER_BANK)[0]
    assert "bank_details_changed" in get(changed).flags
    [ask] = mails("bank_details_change")
    assert ask.to_addr == "sam.okafor@example.org" and "66374958" not in str(ask.context)
    with pytest.raises(payment_runs.NothingToPay, match="2 approved claims wait for payment details"):
        payment_runs.create_run(by=FIN, out_dir=tmp_path)  # no payment to this person until checked
    with pytest.raises(WrongState, match="not confirmed"):
        payee_changes.check_change("sam.okafor@example.org", by=FIN)  # the person has not confirmed
    payee_changes.answer_change(link_in(ask, "confirm_url"), confirm=True)
    with pytest.raises(NotAllowed):
        payee_changes.check_change("sam.okafor@example.org", by="lead.havering@example.nhs.uk")  # not finance
    payee = payee_changes.check_change("sam.okafor@example.org", by=FIN2)
    assert payee.checked_by == FIN2 and payee.bank_details_masked == "******58"
    second = payment_runs.create_run(by=FIN, out_dir=tmp_path, include_bank_details=True)
    assert second.claims == [first, changed] and second.path.read_text().count("66374958") == 2
    later = approved(example_claim, 1, start=2, method="bank_transfer", bank=OTHER_BANK)[0]
    assert "bank_details_changed" in get(later).flags  # changed within the last N days


def test_disowned_change_is_dropped(db, example_claim):
    setup_people()
    approved(example_claim, 1)
    approved(example_claim, 1, start=1, bank=OTHER_BANK)
    [ask] = mails("bank_details_change")
    payee_changes.answer_change(link_in(ask, "confirm_url"), confirm=False)
    with pytest.raises(Exception, match="no change"):
        payee_changes.check_change("sam.okafor@example.org", by=FIN)


def test_invalid_details_on_a_webhook_claim_are_flagged_and_asked(db, example_claim, tmp_path):
    setup_people()
    ref = approved(example_claim, 1, bank=BAD_BANK)[0]
    assert "bank_details_invalid" in get(ref).flags
    [ask] = mails("payment_details")
    assert ask.context["why"] == "invalid"
    with pytest.raises(payment_runs.NothingToPay):
        payment_runs.create_run(by=FIN, out_dir=tmp_path)
    client = TestClient(create_app())
    url = f"/act/{link_in(ask, 'details_url')}"
    page = client.get(url)
    assert page.status_code == 200 and "Sort code" in page.text
    bad = client.post(url, data={"account_name": "S Okafor", "sort_code": "089999", "account_number": "66374959"})
    assert bad.status_code == 400 and "do not match" in bad.text
    ok = client.post(url, data={"account_name": "S Okafor", "sort_code": "089999", "account_number": "66374958"})
    assert ok.status_code == 200, ok.text
    assert "bank_details_invalid" not in get(ref).flags
    run = payment_runs.create_run(by=FIN, out_dir=tmp_path)
    assert run.claims == [ref]


def test_claim_without_payment_details_never_enters_a_run(db, example_claim, tmp_path):
    setup_people()
    ref = approved(example_claim, 1, method=None)[0]
    [ask] = mails("payment_details")
    assert ask.reference == ref and ask.context["why"] == "missing"
    with pytest.raises(payment_runs.NothingToPay):
        payment_runs.create_run(by=FIN, out_dir=tmp_path)
    payee_changes.give_details(link_in(ask, "details_url"), **OTHER_BANK)
    assert payment_runs.create_run(by=FIN, out_dir=tmp_path).claims == [ref]


def test_bacs_run_from_the_database(db, example_claim, tmp_path, monkeypatch):
    from involve.settings import reset_settings

    setup_people()
    refs = approved(example_claim, 2)
    with pytest.raises(Exception, match="INVOLVE_BACS_SUN"):
        payment_runs.create_run(by=FIN, out_dir=tmp_path, file_format="bacs18")
    for k, v in {"SUN": "654321", "SORT_CODE": "400515", "ACCOUNT": "87654321", "NAME": "NELFT"}.items():
        monkeypatch.setenv(f"INVOLVE_BACS_{k}", v)
    reset_settings()
    run = payment_runs.create_run(by=FIN, out_dir=tmp_path, file_format="bacs18")
    records = [x for x in run.path.read_bytes().decode("ascii").split("\r\n") if x[:1].isdigit()]
    data = [x for x in records if x[15:17] == "99"]
    assert sorted(x[64:82].rstrip() for x in data) == sorted(refs)  # one record per claim
    pence = sum(int(x[35:46]) for x in data)
    assert Decimal(pence) / 100 == sql_money("SELECT SUM(total_amount) FROM claims") == run.total
    lines = run.path.read_bytes().decode("ascii").split("\r\n")
    [contra] = [x for x in records if x[15:17] == "17"]
    utl = next(x for x in lines if x.startswith("UTL1"))
    assert int(contra[35:46]) == pence and int(utl[4:17]) == int(utl[17:30]) == pence  # trailer totals
    assert (int(utl[30:37]), int(utl[37:44])) == (1, len(refs))  # one debit, one credit per claim
    assert processing.count_submitted() == 0


def test_retention_clears_payee_records(db, example_claim):
    from datetime import date

    from involve.services import payment_returns, retention
    from involve.settings import settings
    from involve.views.finance import last_failure

    setup_people()
    [ref] = approved(example_claim, 1, method="payroll", bank=dict(OTHER_BANK, ni_number="AB123456C"))
    assert sql_money("SELECT COUNT(*) FROM payees") == 1
    payment_runs.create_run(by=FIN, out_dir=settings.payment_runs_dir)
    payment_returns.mark_failed(ref, reason="closed: ask S Okafor's daughter", by=FIN)
    retention.run(as_of=date(2028, 1, 1))  # within retention: kept
    assert sql_money("SELECT COUNT(*) FROM payees") == 1
    assert last_failure(get(ref).id).reason == "closed: ask S Okafor's daughter"
    retention.run(as_of=date(2040, 1, 1))
    assert sql_money("SELECT COUNT(*) FROM payees") == 0
    assert "Okafor" not in last_failure(get(ref).id).reason  # finance's free text goes with the name
