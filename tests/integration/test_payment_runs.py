"""Payment runs as a lifecycle, on SQLite and PostgreSQL: each claim in one run, nothing to pay is a
refusal, mark-paid pays every claim once (one "paid" email each), failed payments join a later run,
the bank's report reconciles, and two runs made at once never share a claim (PostgreSQL)."""
from __future__ import annotations

import csv
import json
import os
import stat
import threading

import pytest
from sqlalchemy import text
from typer.testing import CliRunner

from involve.cli.main import app
from involve.errors import InvolveError, NotAllowed, WrongState
from involve.mail.render import render
from involve.services import payment_returns, payment_runs
from involve.views.finance import runs
from tests.integration.finance_support import FIN, FIN2, approved, get, mails, setup_people, sql_money


def test_run_mark_paid_and_each_email_once(db, example_claim, tmp_path):
    setup_people()
    refs = approved(example_claim, 3)
    run = payment_runs.create_run(by=FIN, out_dir=tmp_path)
    assert sorted(run.claims) == sorted(refs) and run.reference.startswith("RUN-")
    assert stat.S_IMODE(os.stat(run.path).st_mode) == 0o600
    rows = list(csv.DictReader(run.path.open()))
    assert sorted(r["reference"] for r in rows) == sorted(refs)
    assert run.total == sql_money("SELECT SUM(total_amount) FROM claims")
    assert sum(__import__("decimal").Decimal(r["amount"]) for r in rows) == run.total
    with pytest.raises(payment_runs.NothingToPay):
        payment_runs.create_run(by=FIN, out_dir=tmp_path)
    [listed] = runs()
    assert (listed["run"], listed["status"], listed["claims"], listed["total"]) == (
        run.reference, "open", 3, f"{run.total:.2f}")
    with pytest.raises(NotAllowed):
        payment_runs.mark_paid(run.reference, by="lead.havering@example.nhs.uk")
    done, paid = payment_runs.mark_paid(run.reference, by=FIN)
    assert done.status == "paid" and sorted(paid) == sorted(refs)
    assert all(get(r).status == "paid" for r in refs)
    with pytest.raises(WrongState):
        payment_runs.mark_paid(run.reference, by=FIN2)
    assert sorted(m.reference for m in mails("claim_paid")) == sorted(refs)  # one each, never twice
    assert sql_money("SELECT SUM(amount) FROM payments") == run.total
    assert runs()[0]["status"] == "paid"


def test_failed_payment_joins_a_later_run(db, example_claim, tmp_path):
    setup_people()
    a, b = approved(example_claim, 2)
    first = payment_runs.create_run(by=FIN, out_dir=tmp_path)
    with pytest.raises(InvolveError):
        payment_returns.mark_failed(a, reason="", by=FIN)
    with pytest.raises(InvolveError, match="one line"):
        payment_returns.mark_failed(a, reason="closed\nApprove: http://x", by=FIN)
    payment_returns.mark_failed(a, reason="account closed", by=FIN)
    assert get(a).status == "payment_failed" and get(a).payment_run_id is None
    [asked] = mails("payment_failed")
    assert asked.reference == a and "/act/" in asked.context["details_url"]
    assert asked.context["paid_amount"] == f"{get(a).payable_amount:.2f}"
    assert asked.context["reason"] == "account closed"
    subject, body, _html = render("payment_failed", asked.context, "en")
    assert a in subject and f"£{get(a).payable_amount:.2f}" in body and "The bank's reason: account closed" in body
    assert "Payment details: http" in body and "until " in body and "-" not in body.split("until ")[1][:20]
    [listed] = runs()  # the run shows which payment came back, and why
    assert [(f["reference"], f["reason"], f["recorded_by"]) for f in listed["failed"]] == [(a, "account closed", FIN)]
    payment_runs.mark_paid(first.reference, by=FIN)
    assert get(b).status == "paid" and get(a).status == "payment_failed"
    second = payment_runs.create_run(by=FIN, out_dir=tmp_path)
    assert second.claims == [a]
    payment_runs.mark_paid(second.reference, by=FIN)
    assert get(a).status == "paid"
    # a payment returned after it was marked paid: the claim goes back, its payment row with it
    payment_returns.mark_failed(b, reason="returned by the bank", by=FIN)
    assert get(b).status == "payment_failed"
    assert sql_money("SELECT SUM(amount) FROM payments") == get(a).payable_amount


def test_reconcile_applies_good_lines_and_reports_the_rest(db, example_claim, tmp_path):
    setup_people()
    a, b, c = approved(example_claim, 3)
    run = payment_runs.create_run(by=FIN, out_dir=tmp_path)
    report = tmp_path / "bank.csv"
    report.write_text("reference,status,reason\n"
                      f"{a},paid,\n"
                      f"{b},returned,account closed\n"
                      "CLM-NOSUCH99,paid,\n"
                      f"{a},paid,\n"
                      f"{c},bounced,\n"
                      f"{c},paid,x,extra\n")
    r = payment_returns.reconcile(report, by=FIN)
    assert [(x["reference"], x["status"]) for x in r.applied] == [(a, "paid"), (b, "returned")]
    assert [x["reference"] for x in r.unmatched] == ["CLM-NOSUCH99"]
    assert [x["line"] for x in r.refused] == [5, 6, 7]
    assert (get(a).status, get(b).status, get(c).status) == ("paid", "payment_failed", "approved")
    assert runs()[0]["status"] == "open"  # c is still to pay
    again = payment_returns.reconcile(report, by=FIN)  # the same report twice: nothing applied again
    assert again.applied == [] and [x["reference"] for x in again.unmatched] == ["CLM-NOSUCH99"]
    assert len(mails("claim_paid")) == 1 and len(mails("payment_failed")) == 1
    assert (get(a).status, get(b).status, get(c).status) == ("paid", "payment_failed", "approved")
    report.write_text(f"reference,status\n{c},paid\n")
    assert [x["reference"] for x in payment_returns.reconcile(report, by=FIN).applied] == [c]
    assert runs()[0]["status"] == "paid" and runs()[0]["run"] == run.reference
    assert len(mails("claim_paid")) == 2
    bad = tmp_path / "bad.csv"
    bad.write_text("ref,state\nX,paid\n")
    with pytest.raises(InvolveError, match="header"):
        payment_returns.reconcile(bad, by=FIN)


def test_two_runs_at_once_never_share_a_claim(db, example_claim, tmp_path):
    if not db.startswith("postgresql"):
        pytest.skip("SQLite has one writer at a time; the race needs two PostgreSQL transactions")
    from involve.db import get_engine

    setup_people()
    refs = approved(example_claim, 8)
    # another run in progress holds two claims: this run skips them instead of waiting or sharing
    other = get_engine().connect()
    tx = other.begin()
    held = other.execute(text("SELECT reference FROM claims WHERE reference IN (:a, :b) FOR UPDATE"),
                         {"a": refs[0], "b": refs[1]}).scalars().all()
    first = payment_runs.create_run(by=FIN, out_dir=tmp_path)
    tx.rollback()
    other.close()
    assert sorted(first.claims) == sorted(refs[2:]) and len(held) == 2
    results: list = []
    barrier = threading.Barrier(2)

    def make():
        barrier.wait()
        try:
            results.append(payment_runs.create_run(by=FIN, out_dir=tmp_path).claims)
        except payment_runs.NothingToPay:
            results.append([])

    threads = [threading.Thread(target=make) for _ in range(2)]
    [t.start() for t in threads]
    [t.join(30) for t in threads]
    taken = [r for claims in results for r in claims]
    assert sorted(taken) == sorted(refs[:2]) and len(set(taken)) == len(taken)


def test_payments_cli(db, example_claim, tmp_path):
    cli = CliRunner()
    setup_people()
    r = cli.invoke(app, ["payments", "run", "--by", FIN, "--out", str(tmp_path)])
    assert r.exit_code == 2 and "no approved claims" in r.stderr and len(r.stderr.strip().splitlines()) == 1
    refs = approved(example_claim, 2)
    r = cli.invoke(app, ["payments", "run", "--by", FIN, "--out", str(tmp_path), "--json"])
    assert r.exit_code == 0, r.output
    data = json.loads(r.stdout)
    assert set(data) >= {"run", "claims", "total", "file"} and sorted(data["claims"]) == sorted(refs)
    assert data["total"] == f"{sql_money('SELECT SUM(total_amount) FROM claims'):.2f}"
    assert os.path.isfile(data["file"])
    r = cli.invoke(app, ["payments", "runs", "--json"])
    assert json.loads(r.stdout)[0]["status"] == "open"
    r = cli.invoke(app, ["payments", "mark-paid", data["run"], "--by", FIN])
    assert r.exit_code == 0, r.output
    assert json.loads(cli.invoke(app, ["payments", "runs", "--json"]).stdout)[0]["status"] == "paid"
    r = cli.invoke(app, ["payments", "failed", refs[0], "--reason", "account closed", "--by", FIN])
    assert r.exit_code == 0 and get(refs[0]).status == "payment_failed"
    [listed] = json.loads(cli.invoke(app, ["payments", "runs", "--json"]).stdout)
    assert [(f["reference"], f["reason"], f["run"]) for f in listed["failed"]] == [
        (refs[0], "account closed", data["run"])]
    assert "returned: " + refs[0] + ": account closed" in cli.invoke(app, ["payments", "runs"]).stdout
    bank = tmp_path / "bank.csv"
    bank.write_text(f"reference,status\n{refs[1]},returned\nCLM-NOPE,paid\n")
    r = cli.invoke(app, ["payments", "reconcile", str(bank), "--by", FIN, "--json"])
    out = json.loads(r.stdout)
    assert r.exit_code == 0 and len(out["applied"]) == 1 and out["unmatched"][0]["reference"] == "CLM-NOPE"
