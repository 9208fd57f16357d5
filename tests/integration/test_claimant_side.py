"""The claimant's side through the services and the link pages (in-process ASGI), on SQLite and
PostgreSQL: receipts (good and bad files), questions and replies, lower-amount approval, "Your claims",
and the payments statement (totals checked against the payments table by SQL)."""
from __future__ import annotations

import io
import json
import re
from decimal import Decimal

import pytest
from fastapi.testclient import TestClient
from PIL import Image
from sqlalchemy import func, select, text

from involve.db import reader, unit_of_work
from involve.errors import InvolveError, NotAllowed, WrongState
from involve.services import claim_questions, claims, processing
from involve.services.intake import accept_claim, body_digest
from involve.services.people import add_person, add_staff
from involve.views.claimant import statement
from involve.web.app import create_app
from models import Claim, OutboxEmail, Receipt

LEAD, COORD, FIN = "lead.havering@example.nhs.uk", "coord@example.nhs.uk", "finance@example.nhs.uk"
SAM = "sam.okafor@example.org"


def setup_people() -> None:
    with unit_of_work() as s:
        add_staff(s, email=LEAD, name="Lead", roles=["lead"])
        add_staff(s, email=COORD, name="Coord", roles=["coordinator"])
        add_staff(s, email=FIN, name="Fin", roles=["finance"])
        add_person(s, email=SAM, name="Sam Okafor", borough="havering")


def submit(claim: dict, delivery: str = "d1") -> str:
    r = accept_claim(payload=claim, delivery_id=delivery, digest=body_digest(json.dumps(claim).encode()))
    processing.process_batch()
    return r.reference


def mails(template: str) -> list[OutboxEmail]:
    with reader() as s:
        return list(s.execute(select(OutboxEmail).where(OutboxEmail.template == template)
                              .order_by(OutboxEmail.id)).scalars())


def rendered(m: OutboxEmail) -> tuple[str, str]:
    from involve.mail.render import render

    subject, body, _html = render(m.template, m.context)
    return subject, body


def link(body: str, word: str) -> str:
    return re.search(rf"^{word}: (\S+)$", body, re.M).group(1).replace("http://testserver", "")


def get(ref: str) -> Claim:
    with reader() as s:
        return s.execute(select(Claim).where(Claim.reference == ref)).scalar_one()


def jpeg(size=(40, 30), exif: bool = True) -> bytes:
    img = Image.new("RGB", size, (200, 10, 10))
    buf = io.BytesIO()
    ex = Image.Exif()
    if exif:
        ex[0x010F] = "SecretCam"  # Make
    img.save(buf, "JPEG", exif=ex.tobytes())
    return buf.getvalue()


@pytest.fixture
def client(db):
    setup_people()
    with TestClient(create_app()) as c:
        yield c


def test_add_receipts_link_clears_the_flag_and_bad_files_change_nothing(client, example_claim):
    ref = submit(example_claim)
    assert "receipt_missing" in get(ref).flags
    subject, body = rendered(mails("claim_received")[0])
    assert "Add receipts:" in body and "30 November" not in subject
    assert "Questions? Contact the Service User and Carer Involvement Co-ordinator: involvement@localhost" in body
    url = link(body, "Add receipts")
    page = client.get(url)
    assert page.status_code == 200 and 'type="file"' in page.text
    assert "image/heic" in page.text and "(JPEG, PNG, HEIC or WebP)" in page.text
    field = re.search(r'name="(receipt-\d+)"', page.text).group(1)
    url = re.search(r'action="(/claims/upload/[^"]+)"', page.text).group(1)  # the form posts here
    bad = {"20 MB": ("big.jpg", b"\xff\xd8\xff" + b"0" * (20 * 1024 * 1024)),
           "exe": ("photo.jpg", b"MZ\x90\x00" + b"\x00" * 500),
           "js pdf": ("bill.pdf", b"%PDF-1.4\n1 0 obj << /Type /Catalog /OpenAction << /S /JavaScript "
                      b"/JS (app.alert(1)) >> >>\nendobj\ntrailer << /Root 1 0 R >>\n%%EOF"),
           "bomb": ("huge.png", _png_bomb())}
    for what, (name, data) in bad.items():
        r = client.post(url, files={field: (name, data, "image/jpeg")})
        assert r.status_code == 400, what
        assert name in r.text, what
    r = client.post(url, files=[(field, (f"r{i}.jpg", jpeg(), "image/jpeg")) for i in range(11)])
    assert r.status_code == 400 and "10 files at most" in r.text
    with reader() as s:
        assert s.execute(select(func.count()).select_from(Receipt)).scalar_one() == 0
    r = client.post(url, files={field: ("IMG_1.jpg", jpeg(), "image/jpeg")})
    assert r.status_code == 200, r.text[-800:]
    c = get(ref)
    assert "receipt_missing" not in c.flags
    with reader() as s:
        receipt = s.execute(select(Receipt)).scalar_one()
        from involve import storage
        kept = storage.read(s, receipt.storage_key)
        raw = s.execute(text("SELECT data FROM stored_files")).scalar_one()
    assert b"SecretCam" in jpeg() and b"SecretCam" not in kept and Image.open(io.BytesIO(kept)).size == (40, 30)
    assert kept not in bytes(raw)  # encrypted at rest
    from involve.views.claims import claim_dict, claim_with_history
    cl, _h = claim_with_history(ref)
    assert [e["receipt_attached"] for e in claim_dict(cl, expenses=True)["expenses"]].count(True) == 1
    assert client.post("/claims/upload/forged", files={field: ("x.jpg", b"\xff" * 2_000_000, "image/jpeg")}
                       ).status_code == 410
    link_url = link(body, "Add receipts")
    again = client.get(link_url)  # works again until decided; nothing more is needed now
    assert again.status_code == 200 and 'type="file"' not in again.text
    claims.approve(ref, by=LEAD)
    assert client.get(link_url).status_code == 410
    assert client.post(url, files={field: ("IMG_3.jpg", jpeg(), "image/jpeg")}).status_code == 410


def heic() -> bytes:
    """A real HEIC photo (what an iPhone sends), made with pillow-heif, with camera metadata."""
    from pillow_heif import from_pillow

    buf, ex = io.BytesIO(), Image.Exif()
    ex[0x010F] = "SecretCam"
    from_pillow(Image.new("RGB", (40, 30), (10, 10, 200))).save(buf, quality=70, exif=ex.tobytes())
    return buf.getvalue()


def _png_bomb() -> bytes:
    import struct
    import zlib

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    ihdr = struct.pack(">IIBBBBB", 60000, 60000, 8, 0, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", zlib.compress(b"\x00" * 1000)) + \
        chunk(b"IEND", b"")


def test_question_reply_and_lower_amount(client, example_claim):
    ref = submit(example_claim)
    with pytest.raises(NotAllowed):
        claim_questions.ask(ref, by=FIN, question="Why?")
    with pytest.raises(InvolveError):
        claim_questions.ask(ref, by=LEAD, question="  ")
    claim_questions.ask(ref, by=LEAD, question="Was the bus fare £6.80 or £5.80?")
    assert get(ref).status == "needs_information"
    subject, body = rendered(mails("claim_question")[0])
    assert "question" in subject and ref in subject and "Was the bus fare" in body
    url = link(body, "Reply")
    page = client.get(url)
    assert page.status_code == 200 and "Was the bus fare" in page.text
    with reader() as s:
        taxi = next(x for x in s.execute(select(Claim).where(Claim.reference == ref)).scalar_one().expenses
                    if x.kind == "public_transport")
    r = client.post(url, data={"answer": "", f"amount-{taxi.id}": "abc"})
    assert r.status_code == 400 and "Enter your answer" in r.text and "Bus, train or tube fares" in r.text
    assert get(ref).status == "needs_information"
    r = client.post(url, data={"answer": "It was £5.80, sorry", f"amount-{taxi.id}": "5.80"})
    assert r.status_code == 200, r.text[-600:]
    c = get(ref)
    assert c.status == "awaiting_approval" and c.expenses_amount == Decimal("37.00")
    _s, answered = rendered(mails("claim_answered")[0])
    assert "It was £5.80, sorry" in answered and "Approve:" in answered
    assert client.post(url, data={"answer": "again"}).status_code == 410  # used once
    with pytest.raises(InvolveError):
        claims.approve(ref, by=LEAD, amount=Decimal("50.00"))  # no reason
    with pytest.raises(InvolveError):
        claims.approve(ref, by=LEAD, amount=Decimal("500.00"), reason="more")
    claims.approve(ref, by=LEAD, amount=Decimal("90.00"), reason="The meeting ended early")
    c = get(ref)
    assert c.status == "approved" and c.payable_amount == Decimal("90.00")
    subject, body = rendered(mails("claim_approved_claimant")[0])
    assert "approved" in subject and "£90.00" in body and "The meeting ended early" in body
    assert re.search(r"by \d{1,2} [A-Z][a-z]+ \d{4}", body)
    claims.pay(ref, by=FIN)
    year = statement(SAM, "2026-27")
    with reader() as s:
        paid = s.execute(text("SELECT sum(p.amount) FROM payments p JOIN claims c ON c.id = p.claim_id "
                              "WHERE c.claimant_email = :e"), {"e": SAM}).scalar_one()
    assert year.fee_paid + year.expenses_paid == Decimal(str(paid)) == Decimal("90.00")
    assert (year.fee_paid, year.expenses_paid, len(year.lines)) == (Decimal("53.00"), Decimal("37.00"), 1)
    with pytest.raises(WrongState):
        claim_questions.ask(ref, by=LEAD, question="Too late?")


def test_your_claims_same_answer_either_way_and_only_your_own(client, example_claim):
    ref = submit(example_claim)
    page = client.get("/claims/status")
    assert page.status_code == 200 and 'name="email"' in page.text
    token = re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)
    yes = client.post("/claims/status", data={"email": SAM, "csrf_token": token})
    no = client.post("/claims/status", data={"email": "nobody@example.org", "csrf_token": token})
    assert yes.status_code == no.status_code == 200
    assert yes.text.replace(SAM, "X") == no.text.replace("nobody@example.org", "X")
    assert [m.to_addr for m in mails("your_claims")] == [SAM]
    again = TestClient(client.app).post("/claims/status", data={"email": SAM})  # no form session needed
    assert again.status_code == 200 and len(mails("your_claims")) == 1  # not twice within minutes
    _s, body = rendered(mails("your_claims")[0])
    mine = client.get(link(body, "Your claims"))
    assert mine.status_code == 200 and ref in mine.text and "Waiting for approval" in mine.text
    assert client.get(f"/claims/mine/{ref}").status_code == 200
    other = dict(example_claim, claimant={"name": "Al", "email": "al@example.org"})
    other_ref = submit(other, "d2")
    assert client.get(f"/claims/mine/{other_ref}").status_code == 404
    assert client.get("/claims/mine/statement?year=2026-27").status_code == 200
    fresh = TestClient(client.app)
    assert fresh.get("/claims/mine", follow_redirects=False).status_code in (303, 401)
    assert fresh.get("/claims/yours/not-a-token").status_code == 410


def test_error_pages_by_accept_and_contact_everywhere(client, monkeypatch):
    from involve import settings as settings_module

    monkeypatch.setenv("INVOLVE_CONTACT_EMAIL", "help@trust.example")
    monkeypatch.setenv("INVOLVE_CONTACT_PHONE", "020 7946 0000")
    settings_module.reset_settings()
    html = {"Accept": "text/html,application/xhtml+xml"}
    r = client.get("/no/such/page", headers=html)
    assert r.status_code == 404 and r.headers["content-type"].startswith("text/html")
    assert '<html lang="en"' in r.text and "<title>" in r.text and "help@trust.example" in r.text
    r = client.get("/no/such/page", headers={"Accept": "application/json"})
    assert r.status_code == 404 and r.headers["content-type"] == "application/problem+json"
    r = client.put("/claims/status", headers=html)
    assert r.status_code == 405 and "020 7946 0000" in r.text
    assert client.post("/webhooks/claims", content=b"{}", headers={"Accept": "application/json"}).status_code in (
        401, 415, 422)
    for path in ("/privacy", "/accessibility", "/cookies", "/claims/status", "/claim"):
        page = client.get(path, headers=html)
        assert page.status_code == 200 and "help@trust.example" in page.text, path


def test_cli_approve_lower_amount_and_statement(db, example_claim, tmp_path):
    from typer.testing import CliRunner

    from involve.cli.main import app

    setup_people()
    ref = submit(example_claim)
    run = CliRunner().invoke
    r = run(app, ["claims", "approve", ref, "--by", LEAD, "--amount", "100.00"])
    assert r.exit_code == 2 and "--reason" in r.output
    r = run(app, ["claims", "approve", ref, "--by", LEAD, "--amount", "100.00", "--reason", "Left early", "--json"])
    assert r.exit_code == 0, r.output
    assert json.loads(r.stdout)["payable_amount"] == "100.00"
    run(app, ["claims", "pay", ref, "--by", FIN])
    r = run(app, ["statement", "--email", SAM, "--tax-year", "2026-27", "--out", str(tmp_path / "st"), "--json"])
    data = json.loads(r.stdout)
    assert (data["fee_paid"], data["expenses_paid"], data["claims"]) == ("62.00", "38.00", 1)
    assert (tmp_path / "st" / "statement.csv").read_text().splitlines()[-1].endswith("62.00,38.00,100.00")
    r = run(app, ["claims", "ask", ref, "--by", LEAD, "--question", "Why?"])
    assert r.exit_code == 2


def test_form_takes_a_receipt_per_cost_and_a_bad_file_loses_nothing(client):
    from datetime import date, timedelta

    token = re.search(r'name="csrf_token" value="([^"]+)"', client.get("/claim/about-you").text).group(1)
    day = date.today() - timedelta(days=2)
    pages = {"about-you": {"name": "Kim Baker", "email": "kim@example.org"},
             "activity": {"kind": "meeting", "title": "Forum", "date-day": day.day, "date-month": day.month,
                          "date-year": day.year, "start": "10:00", "end": "12:00", "borough": "redbridge"},
             "fee": {"fee": "yes"}}
    for step, data in pages.items():
        assert client.post(f"/claim/{step}", data={"csrf_token": token, **data},
                           follow_redirects=False).status_code == 303
    costs = {"csrf_token": token, "costs": ["taxi", "parking"], "taxi": "£7.50", "parking": "6"}
    page = client.get("/claim/expenses").text
    accept = re.search(r'name="receipt-taxi" multiple accept="([^"]+)"', page).group(1).split(",")
    assert {"image/heic", ".heic", "image/webp", "application/pdf"} <= set(accept)
    assert "(JPEG, PNG, HEIC or WebP)" in page
    r = client.post("/claim/expenses", data=costs, files=[("receipt-taxi", ("virus.jpg", b"MZ\x90\x00" * 50,
                                                                            "image/jpeg"))],
                    follow_redirects=False)
    assert r.status_code == 400 and "virus.jpg" in r.text and 'value="£7.50"' in r.text
    r = client.post("/claim/expenses", data=costs, files=[("receipt-taxi", ("taxi.jpg", jpeg(), "image/jpeg")),
                                                          ("receipt-parking", ("IMG_7.HEIC", heic(), "image/heic"))],
                    follow_redirects=False)
    assert r.status_code == 303, r.text[-500:]
    assert client.post("/claim/payment", data={"csrf_token": token, "method": "voucher"},
                       follow_redirects=False).status_code == 303
    check = client.get("/claim/check")
    assert "££" not in check.text and "£7.50" in check.text and "£6.00" in check.text
    assert '<strong id="total">£35.50</strong>' in check.text and "£22.00" in check.text
    r = client.post("/claim/check", data={"csrf_token": token, "declaration": "yes"}, follow_redirects=False)
    assert r.status_code == 303, r.text[-800:]
    processing.process_batch()
    with reader() as s:
        c = s.execute(select(Claim).where(Claim.claimant_email == "kim@example.org")).scalar_one()
        attached = s.execute(select(Receipt.line_id).where(Receipt.claim_id == c.id)).scalars().all()
        assert "receipt_missing" not in c.flags and sorted(attached) == sorted(x.id for x in c.expenses)
        names = s.execute(select(Receipt.file_name, Receipt.content_type).where(Receipt.claim_id == c.id)
                          .order_by(Receipt.id)).all()
        assert [tuple(n) for n in names] == [("taxi.jpg", "image/jpeg"), ("IMG_7.jpg", "image/jpeg")]


def test_approver_link_names_the_cost_without_a_receipt_and_takes_a_lower_amount(client, example_claim):
    ref = submit(example_claim)
    _s, body = rendered(mails("claim_approval")[0])
    assert "No receipt yet for:\n- Bus, train or tube fares, £6.80" in body and "(receipt_missing)" not in body
    url = link(body, "Approve")
    page = client.get(url)
    assert "Bus, train or tube fares, £6.80" in page.text and 'name="amount"' in page.text
    r = client.post(url, data={"amount": "100.00", "amount_reason": "Finished early"})
    assert r.status_code == 200, r.text[-500:]
    assert get(ref).payable_amount == Decimal("100.00")
    _s, told = rendered(mails("claim_approved_claimant")[0])
    assert "£100.00" in told and "Finished early" in told and "18 November 2026" in told


def test_a_lost_form_session_offers_start_again(client):
    r = TestClient(client.app).get("/claim/expenses")
    assert r.status_code == 200 and "Start again" in r.text and 'href="/claim"' in r.text
    r = TestClient(client.app).get("/claim/check")
    assert r.status_code == 400 and "Start again" in r.text


def test_a_person_may_ask_for_a_lower_fee(client, example_claim):
    claim = dict(example_claim, fee={"claimed": True, "requested_amount": "30.00"})
    ref = submit(claim)
    c = get(ref)
    assert (c.fee_amount, c.total_amount) == (Decimal("30.00"), Decimal("68.00"))
    higher = dict(example_claim, submission_id="form-higher", fee={"claimed": True, "requested_amount": "300.00"})
    assert get(submit(higher, "d9")).fee_amount == Decimal("80.00")  # never more than the policy's
    with pytest.raises(InvolveError):
        submit(dict(example_claim, submission_id="form-none", fee={"claimed": False, "requested_amount": "5.00"}),
               "d10")


def test_save_and_come_back_on_another_device(client):
    token = re.search(r'name="csrf_token" value="([^"]+)"', client.get("/claim/about-you").text).group(1)
    client.post("/claim/about-you", data={"csrf_token": token, "name": "Jo Lee", "email": "jo@example.org"})
    page = client.get("/claim/activity")
    assert 'name="action"' in page.text and 'value="save"' in page.text
    r = client.post("/claim/activity", data={"csrf_token": token, "title": "Forum visit", "action": "save"})
    assert r.status_code == 200 and "jo@example.org" in r.text
    subject, body = rendered(mails("claim_saved")[0])
    url = link(body, "Continue your claim")
    other = TestClient(client.app)
    r = other.get(url, follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == "/claim/activity"
    assert 'value="Forum visit"' in other.get("/claim/activity").text
    assert other.get("/claim/continue/forged").status_code == 410


def test_retention_removes_receipt_files_with_the_claim_details(db, example_claim, monkeypatch):
    from datetime import date

    from involve.services import receipts, retention

    setup_people()
    ref = submit(example_claim)
    with reader() as s:
        line = next(x.id for x in s.execute(select(Claim).where(Claim.reference == ref)).scalar_one().expenses
                    if x.kind == "public_transport")
    assert receipts.add_receipts(ref, {line: [receipts.Upload("bus.jpg", jpeg())]}, claimant=SAM) == 1
    from involve.services import receipt_fetches
    from involve.settings import reset_settings

    monkeypatch.setenv("INVOLVE_RECEIPT_FETCH_HOSTS", "files.example.com")
    reset_settings()
    with unit_of_work() as s:  # a provider's file URL still recorded for fetching goes too
        claim_id = s.execute(select(Claim.id).where(Claim.reference == ref)).scalar_one()
        assert receipt_fetches.queue(s, claim_id, "tally", {2: "https://files.example.com/a.jpg"}) == 1
    retention.run(as_of=date(2040, 1, 1))
    with reader() as s:
        assert s.execute(text("SELECT count(*) FROM receipts")).scalar_one() == 0
        assert s.execute(text("SELECT count(*) FROM stored_files")).scalar_one() == 0
        assert s.execute(text("SELECT count(*) FROM receipt_fetches")).scalar_one() == 0


def test_staff_claim_page_asks_and_shows_receipts_only_to_those_who_may_act(client, example_claim):
    from involve.services import receipts
    from tests.staff_sign_in import csrf, sign_in

    ref = submit(example_claim)
    with reader() as s:
        line = next(x.id for x in s.execute(select(Claim).where(Claim.reference == ref)).scalar_one().expenses
                    if x.kind == "public_transport")
    receipts.add_receipts(ref, {line: [receipts.Upload("bus.jpg", jpeg())]}, claimant=SAM)
    with reader() as s:
        receipt_id = s.execute(select(Receipt.id)).scalar_one()
    finance = TestClient(client.app)
    sign_in(finance, FIN)
    assert finance.get(f"/staff/receipts/{receipt_id}").status_code == 404  # finance may not act yet
    sign_in(client, COORD)
    page = client.get(f"/staff/claims/{ref}")
    assert "Ask a question" in page.text and f"/staff/receipts/{receipt_id}" in page.text
    r = client.get(f"/staff/receipts/{receipt_id}")
    assert r.status_code == 200 and r.headers["content-type"] == "image/jpeg" and r.content.startswith(b"\xff\xd8")
    r = client.post(f"/staff/claims/{ref}/ask", data={"csrf_token": csrf(page), "question": "Which bus?"},
                    follow_redirects=False)
    assert r.status_code == 303 and get(ref).status == "needs_information"


def test_an_expired_or_forged_link_changes_nothing(client, example_claim):
    ref = submit(example_claim)
    claim_questions.ask(ref, by=LEAD, question="Which day?")
    _s, body = rendered(mails("claim_question")[0])
    url = link(body, "Reply")
    with unit_of_work() as s:
        s.execute(text("UPDATE link_tokens SET expires_at = :t WHERE action = 'reply'"),
                  {"t": "2020-01-01 00:00:00" if s.get_bind().dialect.name == "sqlite" else "2020-01-01T00:00:00Z"})
    r = client.post(url, data={"answer": "Tuesday"})
    assert r.status_code == 410 and "expired" in r.text
    assert client.get(url[:-3] + "abc").status_code == 410
    assert get(ref).status == "needs_information"


def test_answer_a_question_signed_in_to_your_claims(client, example_claim):
    ref = submit(example_claim)
    claim_questions.ask(ref, by=LEAD, question="Did you share the taxi?")
    client.post("/claims/status", data={"email": SAM})
    _s, body = rendered(mails("your_claims")[0])
    mine = client.get(link(body, "Your claims"))
    assert f"/claims/mine/{ref}/reply" in mine.text
    page = client.get(f"/claims/mine/{ref}/reply")
    assert page.status_code == 200 and "Did you share the taxi?" in page.text
    token = re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)
    r = client.post(f"/claims/mine/{ref}/reply", data={"csrf_token": token, "answer": ""})
    assert r.status_code == 400 and "Enter your answer" in r.text
    r = client.post(f"/claims/mine/{ref}/reply", data={"csrf_token": token, "answer": "No, alone"},
                    follow_redirects=False)
    assert r.status_code == 303 and get(ref).status == "awaiting_approval"
    _s, q = rendered(mails("claim_question")[0])
    assert client.get(link(q, "Reply")).status_code == 410  # the emailed link has nothing left to answer
