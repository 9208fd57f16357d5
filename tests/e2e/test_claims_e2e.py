"""The claims lifecycle through the real server, real SMTP and the CLI, as an operator would."""
from __future__ import annotations

import copy
import json
import sqlite3
import time
from datetime import date, timedelta

import pytest

from tests.e2e.harness import LiveServer, act_on_link, html_of, links, text_of

LEAD, COORD, SAM = "lead.havering@example.nhs.uk", "coordinator@example.nhs.uk", "sam.okafor@example.org"
TALLY_SECRET = "tally-secret-for-e2e"


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    """A form provider's file storage: a real HTTPS server on loopback (tests/receipt_server.py)."""
    from tests.receipt_server import file_server

    with file_server(tmp_path_factory.mktemp("tls")) as srv:
        yield srv


@pytest.fixture(scope="module")
def live(sink, files, tmp_path_factory):
    """This module's server also fetches Tally receipt files, from `files` only."""
    server = LiveServer(tmp_path_factory.mktemp("live"), sink.port, extra_env={
        "INVOLVE_RECEIPT_FETCH_HOSTS": "127.0.0.1", "SSL_CERT_FILE": str(files.ca_file),
        "INVOLVE_TALLY_SECRET": TALLY_SECRET}).start()
    yield server
    server.stop()


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


def test_a_tally_claims_receipt_files_are_fetched_by_the_runner(staffed, sink, files):
    """Typeform/Tally file-upload answers: the webhook answers without fetching; the runner's
    fetch-receipts flow fetches the files, checks and keeps them, and the costs need no receipt."""
    import base64
    import hashlib
    import hmac
    import io

    import httpx
    from PIL import Image
    from pypdf import PdfWriter

    from tests.unit.test_providers import _tally, tally_payload

    photo, pdf = io.BytesIO(), io.BytesIO()
    Image.new("RGB", (40, 30), (200, 10, 10)).save(photo, "JPEG")
    writer = PdfWriter()
    writer.add_blank_page(200, 200)
    writer.write(pdf)
    files.files.update({"bus.jpg": photo.getvalue(), "invoice.pdf": pdf.getvalue()})
    payload = tally_payload()
    payload["data"]["submissionId"] = "e2e-tally-files"
    for f in payload["data"]["fields"]:
        if f["label"] == "activity_date":
            f["value"] = (date.today() - timedelta(days=12)).isoformat()
    payload["data"]["fields"] += [
        _tally("question_rc1", "travel_public_transport_receipt", "FILE_UPLOAD",
               [{"url": f"{files.base}/files/bus.jpg", "name": "bus.jpg"}]),
        _tally("question_rc2", "carer_costs_receipt", "FILE_UPLOAD",
               [{"url": f"{files.base}/files/invoice.pdf", "name": "invoice.pdf"}])]
    body = json.dumps(payload).encode()
    sig = base64.b64encode(hmac.new(TALLY_SECRET.encode(), body, hashlib.sha256).digest()).decode()
    files.requests.clear()
    r = httpx.post(staffed.url + "/webhooks/claims/tally", content=body, timeout=30,
                   headers={"content-type": "application/json", "Tally-Signature": sig})
    assert r.status_code == 202, r.text
    ref = r.json()["reference"]
    deadline = time.monotonic() + 90
    while True:
        _, shown = staffed.cli_json("claims", "show", ref)
        attached = [e["receipt_attached"] for e in shown["expenses"] if e["kind"] != "mileage"]
        if shown["status"] == "awaiting_approval" and attached == [True, True]:
            break
        assert time.monotonic() < deadline, shown
        time.sleep(0.5)
    assert "receipt_missing" not in shown["flags"]
    assert sorted(path for path, _h in files.requests) == ["/files/bus.jpg", "/files/invoice.pdf"]
    assert sink.wait(ref, "received", to=SAM)
