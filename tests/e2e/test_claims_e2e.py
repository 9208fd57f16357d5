"""The claims lifecycle through the real server, real SMTP and the CLI, as an operator would."""
from __future__ import annotations

import copy
import json
import sqlite3
import time
from datetime import date, timedelta

import pytest

from tests.e2e.harness import act_on_link, html_of, links, text_of

LEAD, COORD, SAM = "lead.havering@example.nhs.uk", "coordinator@example.nhs.uk", "sam.okafor@example.org"


@pytest.fixture(scope="module")
def staffed(live):
    for email, name, role in ((LEAD, "Lead", "lead"), (COORD, "Co-ordinator", "coordinator"),
                              (live.finance, "Finance", "finance")):
        r = live.cli("staff", "add", "--email", email, "--name", name, "--role", role, "--by", live.admin)
        assert r.returncode == 0, r.stderr
    r = live.cli("register", "add", "--email", SAM, "--name", "Sam Okafor", "--borough", "havering",
                 "--by", live.admin)
    assert r.returncode == 0, r.stderr
    return live


def fresh(example_claim: dict, days_ago: int = 3, start: str = "09:30", end: str = "13:15") -> dict:
    c = copy.deepcopy(example_claim)
    c["activity"].update(date=(date.today() - timedelta(days=days_ago)).isoformat(), start=start, end=end)
    return c


def test_example_claim_to_payment(staffed, sink, example_claim):
    live = staffed
    claim = fresh(example_claim)
    r = live.post_claim(claim, msg_id="e2e-1")
    assert r.status_code == 202, r.text
    ref = r.json()["reference"]
    assert r.json()["status"] == "submitted"
    again = live.post_claim(claim, msg_id="e2e-1")
    assert (again.status_code, again.json()) == (200, r.json())
    other = live.post_claim(dict(claim, declaration=True, claimant={"name": "X", "email": SAM}), msg_id="e2e-1")
    assert other.status_code == 422
    assert other.headers["content-type"].startswith("application/problem+json")

    [mail] = sink.wait(ref, "approval", to=LEAD)
    assert sink.wait(ref, "received", to=SAM)
    _, shown = live.cli_json("claims", "show", ref)
    assert (shown["fee_amount"], shown["expenses_amount"], shown["total_amount"]) == ("80.00", "38.00", "118.00")
    assert shown["status"] == "awaiting_approval" and "receipt_missing" in shown["flags"]

    [approve] = links(text_of(mail), "Approve")
    page = act_on_link(approve)
    assert page.status_code == 200
    _, shown = live.cli_json("claims", "show", ref)
    assert shown["status"] == "approved"
    assert act_on_link(approve).status_code == 410  # the link works once
    [fin] = sink.wait(ref, "approved", to=live.finance)
    body = text_of(fin) + html_of(fin)
    assert "12345678" not in body and "12-34-56" not in body

    r = live.cli("claims", "pay", ref, "--by", live.finance, "--payment-ref", "E2E-1")
    assert r.returncode == 0, r.stderr
    assert sink.wait(ref, "paid", to=SAM)
    r = live.cli("claims", "pay", ref, "--by", live.finance)
    assert r.returncode == 2 and "already paid" in r.stderr
    _, shown = live.cli_json("claims", "show", ref)
    assert [h["to_status"] for h in shown["history"]] == ["submitted", "awaiting_approval", "approved", "paid"]


def test_reject_by_link_sends_reason(staffed, sink, example_claim):
    live = staffed
    r = live.post_claim(fresh(example_claim, days_ago=4, start="14:00", end="15:00"))
    ref = r.json()["reference"]
    [mail] = sink.wait(ref, "approval", to=LEAD)
    [reject] = links(text_of(mail), "Reject")
    act_on_link(reject, {"reason": "You were not on this panel"})
    [note] = sink.wait(ref, "not approved", to=SAM)
    assert "You were not on this panel" in text_of(note)
    r = live.cli("claims", "approve", ref, "--by", LEAD)
    assert r.returncode == 2 and r.stderr.strip().count("\n") == 0


def test_cli_refusals_exit_2_with_one_line(staffed, example_claim):
    live = staffed
    for args in (["claims", "show", "CLM-NOPE"], ["claims", "approve", "CLM-NOPE", "--by", LEAD],
                 ["staff", "add", "--email", "x@example.org", "--name", "X", "--role", "wizard", "--by", live.admin],
                 ["claims", "reject", "CLM-NOPE", "--by", LEAD, "--reason", " "]):
        r = live.cli(*args)
        assert r.returncode == 2, (args, r.stdout, r.stderr)
        assert len(r.stderr.strip().splitlines()) == 1, r.stderr


def test_webhook_refusals(staffed, example_claim):
    live = staffed
    claim = fresh(example_claim, days_ago=5)
    assert live.post_claim(claim, secret="whsec_" + "QUJD" * 11).status_code == 401
    assert live.post_claim(claim, ts=int(time.time()) - 360).status_code == 401
    assert live.post_claim(claim, ts=int(time.time()) + 360).status_code == 401
    assert live.post_claim(b"not json", headers={"content-type": "text/plain"}).status_code == 415
    assert live.post_claim(b"{not json").status_code == 415
    assert live.post_claim(b"x" * (65 * 1024)).status_code == 413
    bad = copy.deepcopy(claim)
    bad["activity"]["date"] = (date.today() + timedelta(days=2)).isoformat()
    bad["expenses"][0]["amount"] = "600.00"
    r = live.post_claim(bad)
    assert r.status_code == 422
    fields = {e["field"] for e in r.json()["errors"]}
    assert {"activity.date", "expenses.0.amount"} <= fields


def test_audit_verify_finds_an_edited_record(staffed):
    live = staffed
    assert live.cli("audit", "verify").returncode == 0
    out = live.workdir / "audit.jsonl"
    assert live.cli("audit", "export", "--out", str(out)).returncode == 0
    lines = out.read_text().splitlines()
    assert json.loads(lines[-1])["chain_head"]["seq"] == len(lines) - 1
    db = sqlite3.connect(live.workdir / "involve.db")
    db.execute("UPDATE audit_records SET reason = 'edited' WHERE seq = 2")
    db.commit()
    r = live.cli("audit", "verify")
    assert r.returncode == 1 and "record 2" in r.stderr
    db.execute("UPDATE audit_records SET reason = NULL WHERE seq = 2")
    db.commit()
    assert live.cli("audit", "verify").returncode == 0
