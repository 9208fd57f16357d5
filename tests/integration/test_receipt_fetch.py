"""Typeform/Tally file-upload answers fetched in the background (issue 12), against a real HTTPS server on
loopback (tests/receipt_server.py): the fetcher's rules for untrusted URLs (no database), then the whole
path on SQLite and PostgreSQL: webhook (no fetch on its request path) -> fetch-receipts -> the same checks
as an uploaded receipt -> `receipt_missing` cleared, or the reason recorded for staff and retried a
bounded number of times, the person still getting the `Add receipts:` link."""
from __future__ import annotations

import base64
import hashlib
import hmac
import io
import json
import re
from datetime import timedelta

import pytest
from fastapi.testclient import TestClient
from PIL import Image
from sqlalchemy import func, select, text
from sqlalchemy.orm import selectinload

from involve import clock, storage
from involve.db import reader, unit_of_work
from involve.intake.fetch import FetchFailed, fetch
from involve.receipt_files import MAX_BYTES
from involve.services import processing, receipt_fetches
from involve.services.intake import accept_claim
from involve.services.people import add_person, add_staff
from involve.settings import reset_settings
from involve.web.app import create_app
from models import AuditRecord, Claim, OutboxEmail, Receipt, ReceiptFetch
from tests.receipt_server import file_server
from tests.staff_sign_in import sign_in

TF_SECRET = "typeform-secret-for-fetch-tests"
LEAD, COORD, SAM = "lead.havering@example.nhs.uk", "coord@example.nhs.uk", "sam.okafor@example.org"
EXE = b"MZ\x90\x00\x03" + b"\x00" * 4000  # a Windows program, named .jpg below


def jpeg(colour=(200, 10, 10)) -> bytes:
    buf, ex = io.BytesIO(), Image.Exif()
    ex[0x010F] = "SecretCam"  # camera make: metadata that must not be kept
    Image.new("RGB", (40, 30), colour).save(buf, "JPEG", exif=ex.tobytes())
    return buf.getvalue()


def heic() -> bytes:
    from pillow_heif import from_pillow

    buf, ex = io.BytesIO(), Image.Exif()
    ex[0x010F] = "SecretCam"
    from_pillow(Image.new("RGB", (64, 48), (10, 200, 10))).save(buf, quality=70, exif=ex.tobytes())
    return buf.getvalue()


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    with file_server(tmp_path_factory.mktemp("tls")) as srv:
        srv.files.update({"bus.jpg": jpeg(), "virus.jpg": EXE, "big.jpg": b"\xff\xd8\xff" + b"0" * (20 << 20)})
        yield srv


@pytest.fixture
def trust(server, monkeypatch):
    monkeypatch.setenv("SSL_CERT_FILE", str(server.ca_file))
    server.requests.clear()
    return server


HOSTS = frozenset({"127.0.0.1"})


# ---- the fetcher's rules (no database) ----------------------------------------------------------------

def test_a_file_on_an_allowed_host_is_fetched_over_verified_https(trust):
    got = fetch(f"{trust.base}/files/bus.jpg", hosts=HOSTS, max_bytes=MAX_BYTES)
    assert (got.name, got.data, got.host) == ("bus.jpg", trust.files["bus.jpg"], "127.0.0.1")


def test_the_certificate_is_checked(server, monkeypatch):
    monkeypatch.delenv("SSL_CERT_FILE", raising=False)  # the test CA is not trusted now
    with pytest.raises(FetchFailed, match="could not be reached") as exc:
        fetch(f"{server.base}/files/bus.jpg", hosts=HOSTS, max_bytes=MAX_BYTES)
    assert exc.value.retry


@pytest.mark.parametrize("url, why", [
    ("http://127.0.0.1:{port}/files/bus.jpg", "does not start with https"),
    ("https://files.example.com/bus.jpg", "not in INVOLVE_RECEIPT_FETCH_HOSTS"),
    ("https://user:pw@127.0.0.1:{port}/files/bus.jpg", "user name or password"),
    ("https://localhost:{port}/files/bus.jpg", "points to a private address"),  # a name for a loopback address
    ("https://127.0.0.1:{port}/redirect?to=https://files.example.com/x.jpg", "redirected to files.example.com"),
    ("https://127.0.0.1:{port}/files/big.jpg", "larger than 10 MB"),
    ("not a url at all", "does not start with https"),
])
def test_urls_that_are_refused_for_good(trust, url, why):
    port = trust.server_address[1]
    with pytest.raises(FetchFailed, match=why) as exc:
        fetch(url.format(port=port), hosts=HOSTS | {"localhost"}, max_bytes=MAX_BYTES)
    assert not exc.value.retry
    assert all(path in ("/redirect", "/files/big.jpg") for path, _h in trust.requests)  # nothing else asked


def test_a_body_without_length_is_cut_off_at_the_limit(trust):
    trust.sent = 0
    with pytest.raises(FetchFailed, match="larger than 1 MB"):
        fetch(f"{trust.base}/endless", hosts=HOSTS, max_bytes=1 << 20)
    assert trust.sent < 32 << 20  # it would send for ever; the client stopped reading past 1 MB


def test_failures_that_may_pass_are_worth_a_retry(trust):
    for url, why in ((f"{trust.base}/files/missing.jpg", "answered 404"),
                     (f"{trust.base}/slow", "did not answer in time")):
        with pytest.raises(FetchFailed, match=why) as exc:
            fetch(url, hosts=HOSTS, max_bytes=MAX_BYTES, timeouts=(2.0, 0.3, 5.0))
        assert exc.value.retry


def test_a_redirect_on_the_same_host_is_followed_with_the_token(trust):
    to = f"{trust.base}/typeform/bus.jpg"
    with pytest.raises(FetchFailed, match="401") as exc:
        fetch(to, hosts=HOSTS, max_bytes=MAX_BYTES)  # no token
    assert exc.value.retry
    trust.requests.clear()
    got = fetch(f"{trust.base}/redirect?to={to}", hosts=HOSTS, max_bytes=MAX_BYTES, bearer=trust.token)
    assert got.data == trust.files["bus.jpg"]
    assert [(p, h.get("Authorization")) for p, h in trust.requests] == [
        ("/redirect", f"Bearer {trust.token}"), ("/typeform/bus.jpg", f"Bearer {trust.token}")]


# ---- the whole path, on SQLite and PostgreSQL -----------------------------------------------------------

@pytest.fixture
def client(db, trust, monkeypatch):
    monkeypatch.setenv("INVOLVE_TYPEFORM_SECRET", TF_SECRET)
    monkeypatch.setenv("INVOLVE_RECEIPT_FETCH_HOSTS", "127.0.0.1")
    monkeypatch.setenv("INVOLVE_TYPEFORM_TOKEN", trust.token)
    reset_settings()
    with unit_of_work() as s:
        add_staff(s, email=LEAD, name="Lead", roles=["lead"])
        add_staff(s, email=COORD, name="Coord", roles=["coordinator"])
        add_person(s, email=SAM, name="Sam Okafor", borough="havering")
    with TestClient(create_app()) as c:
        yield c


def _typeform(bus_url: str, carer_url: str) -> dict:
    from tests.unit.test_providers import _tf, typeform_payload

    return typeform_payload(
        travel_public_transport_receipt=_tf("travel_public_transport_receipt", "file_url", "file_upload", bus_url),
        carer_costs_receipt=_tf("carer_costs_receipt", "file_url", "file_upload", carer_url))


def _claim(ref: str) -> Claim:
    with reader() as s:
        return s.execute(select(Claim).options(selectinload(Claim.expenses)).where(Claim.reference == ref)).scalar_one()


def _fetches(ref: str) -> list[ReceiptFetch]:
    with reader() as s:
        return list(s.execute(select(ReceiptFetch).join(Claim, Claim.id == ReceiptFetch.claim_id)
                              .where(Claim.reference == ref).order_by(ReceiptFetch.line_no)).scalars())


def _later(monkeypatch, **delta) -> None:
    monkeypatch.setattr(clock, "OFFSET", clock.OFFSET + timedelta(**delta))


def test_webhook_receipts_are_fetched_later_checked_like_uploads_and_clear_the_flag(client, trust, monkeypatch):
    trust.files.pop("carer.heic", None)
    body = json.dumps(_typeform(f"{trust.base}/typeform/bus.jpg", f"{trust.base}/files/carer.heic")).encode()
    sig = "sha256=" + base64.b64encode(hmac.new(TF_SECRET.encode(), body, hashlib.sha256).digest()).decode()
    r = client.post("/webhooks/claims/typeform", content=body,
                    headers={"content-type": "application/json", "Typeform-Signature": sig})
    assert r.status_code == 202, r.text
    ref = r.json()["reference"]
    assert trust.requests == []  # nothing fetched on the webhook's request path
    assert [(f.line_no, f.state) for f in _fetches(ref)] == [(1, "waiting"), (3, "waiting")]
    assert [x.receipt for x in _claim(ref).expenses] == [None, None, None]  # no receipt until the file is here
    assert receipt_fetches.due_count() == 2

    monkeypatch.setattr(receipt_fetches, "typeform_host", lambda host: host == "127.0.0.1")  # Typeform stands here
    assert receipt_fetches.fetch_batch().handled == 2  # bus fetched (with the token); carer: 404, later
    assert [h.get("Authorization") for p, h in trust.requests if p == "/typeform/bus.jpg"] == [f"Bearer {trust.token}"]
    bus, carer = _fetches(ref)
    assert (bus.state, carer.state, carer.attempts) == ("done", "waiting", 1)
    assert "answered 404" in carer.last_error and receipt_fetches.due_count() == 0

    processing.process_batch()
    claim = _claim(ref)
    assert claim.status == "awaiting_approval" and "receipt_missing" in claim.flags
    from involve.mail.render import render
    with reader() as s:
        received = s.execute(select(OutboxEmail).where(OutboxEmail.template == "claim_received")).scalar_one()
    _subject, text_body, _html = render(received.template, received.context)
    assert received.context["receipts_needed"] == ["Paying a carer, £25.00"]  # the bus fare's receipt is here
    assert "We need a receipt for:\n- Paying a carer, £25.00\n" in text_body
    assert re.search(r"^Add receipts: \S+$", text_body, re.M)  # the person can still send it themselves

    sign_in(client, COORD)
    page = client.get(f"/staff/claims/{ref}")
    assert "Being fetched from 127.0.0.1" in page.text and "answered 404" in page.text
    assert "Fetch receipt failed" in page.text and "Paying a carer, £25.00 not fetched" in page.text

    trust.files["carer.heic"] = heic()  # the provider has it now
    _later(monkeypatch, minutes=3)
    assert receipt_fetches.fetch_batch().fetched == 1
    claim = _claim(ref)
    assert "receipt_missing" not in claim.flags and _fetches(ref)[1].state == "done"
    with reader() as s:
        kept = [(r.file_name, r.content_type, storage.read(s, r.storage_key))
                for r in s.execute(select(Receipt).order_by(Receipt.id)).scalars()]
        raw = b"".join(bytes(b) for b in s.execute(text("SELECT data FROM stored_files")).scalars())
    assert [(n, t) for n, t, _d in kept] == [("bus.jpg", "image/jpeg"), ("carer.jpg", "image/jpeg")]
    for _n, _t, data in kept:
        assert b"SecretCam" not in data and Image.open(io.BytesIO(data)).format == "JPEG"
        assert data not in raw  # encrypted at rest
    assert Image.open(io.BytesIO(kept[1][2])).size == (64, 48)


def test_bad_files_are_refused_recorded_and_retried_a_bounded_number_of_times(client, trust, example_claim,
                                                                              monkeypatch):
    b = trust.base
    example_claim["expenses"] = [
        {"kind": "public_transport", "amount": "6.80", "receipt": f"{b}/files/big.jpg"},      # 20 MB
        {"kind": "taxi", "amount": "12.00", "receipt": f"{b}/chunked/virus.jpg"},             # an .exe
        {"kind": "parking", "amount": "8.00", "receipt": f"{b}/files/gone.jpg"},              # 404 for ever
        {"kind": "carer", "amount": "25.00", "receipt": f"{b}/redirect?to=https://evil.example/x.jpg"},
        {"kind": "subsistence", "amount": "9.00", "receipt": f"http://127.0.0.1:{trust.server_address[1]}/x"},
    ]
    ref = accept_claim(payload=example_claim, delivery_id="tally-1", digest="d", source="tally").reference
    result = receipt_fetches.fetch_batch()
    assert (result.fetched, result.failed, result.retrying) == (0, 4, 1)
    processing.process_batch()
    assert "receipt_missing" in _claim(ref).flags
    for _ in range(6):  # hours pass: the 404 is tried again, MAX_ATTEMPTS times in all, then given up
        _later(monkeypatch, hours=3)
        receipt_fetches.fetch_batch()
    rows = _fetches(ref)
    assert [r.state for r in rows] == ["failed"] * 5
    assert rows[2].attempts == receipt_fetches.MAX_ATTEMPTS
    assert [r.attempts for r in rows[:2] + rows[3:]] == [1, 1, 1, 1]
    for row, why in zip(rows, ("larger than 10 MB", "is not a photo or PDF", "answered 404",
                               "not in INVOLVE_RECEIPT_FETCH_HOSTS", "does not start with https"), strict=True):
        assert why in row.last_error, (row.line_no, row.last_error)
    assert len([p for p, _h in trust.requests if p == "/files/gone.jpg"]) == receipt_fetches.MAX_ATTEMPTS
    with reader() as s:
        assert s.execute(select(func.count()).select_from(Receipt)).scalar_one() == 0
        reasons = s.execute(select(AuditRecord.reason).where(AuditRecord.action == "fetch_receipt_failed")).scalars()
        reasons = list(reasons)
    assert len(reasons) == 4 + receipt_fetches.MAX_ATTEMPTS
    assert not any(b in r or "virus" in r for r in reasons)  # no URL, no file name in the audit trail
    claim = _claim(ref)
    assert "receipt_missing" in claim.flags and all(x.receipt is None for x in claim.expenses)


def test_the_typeform_token_goes_to_typeform_hosts_only(monkeypatch):
    monkeypatch.setenv("INVOLVE_RECEIPT_FETCH_HOSTS", "api.typeform.com,storage.tally.so")
    monkeypatch.setenv("INVOLVE_TYPEFORM_TOKEN", "tfp_secret")
    reset_settings()
    job = receipt_fetches._Job
    url = "https://api.typeform.com/responses/files/abc/bus.jpg"
    assert receipt_fetches._bearer(job(1, url, "typeform", 1)) == "tfp_secret"
    assert receipt_fetches._bearer(job(1, "https://api.eu.typeform.com/f/bus.jpg", "typeform", 1)) == "tfp_secret"
    for other in (job(1, "https://storage.tally.so/x.jpg", "typeform", 1), job(1, url, "tally", 1),
                  job(1, "https://api.typeform.com.evil.example/x.jpg", "typeform", 1)):
        assert receipt_fetches._bearer(other) is None, other


def test_at_most_ten_files_a_claim_and_nothing_queued_when_fetching_is_off(client, trust, example_claim, monkeypatch):
    urls = " ".join(f"{trust.base}/files/bus.jpg?n={i}" for i in range(6))
    example_claim["expenses"] = [{"kind": "taxi", "amount": "12.00", "receipt": urls},
                                 {"kind": "parking", "amount": "8.00", "receipt": urls}]
    ref = accept_claim(payload=example_claim, delivery_id="tally-2", digest="d", source="tally").reference
    assert receipt_fetches.fetch_batch(limit=20).fetched == 10
    rows = _fetches(ref)
    assert [r.state for r in rows].count("done") == 10
    assert all("10 files already" in r.last_error for r in rows if r.state == "failed")

    monkeypatch.setenv("INVOLVE_RECEIPT_FETCH_HOSTS", "")
    reset_settings()
    example_claim["submission_id"] = "form-other"
    ref = accept_claim(payload=example_claim, delivery_id="tally-3", digest="d", source="tally").reference
    assert _fetches(ref) == [] and [x.receipt for x in _claim(ref).expenses] == [urls, urls]  # kept as the URL
