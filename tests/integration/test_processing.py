"""Processing rules that need the database: routing, duplicates, weekly fees, reminders, payment runs."""
from __future__ import annotations

import copy
import csv
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import select, update

from involve.db import reader, unit_of_work
from involve.errors import NotAllowed
from involve.services import claims, payment_runs, processing, reminders
from involve.services.people import add_person, add_staff
from models import Claim, OutboxEmail
from tests.integration.test_lifecycle import COORD, FIN, LEAD, get, outbox, setup_people, submit

MONDAY = date.today() - timedelta(days=date.today().weekday() + 7)  # last week's Monday


def claim_on(example: dict, day: date, start="10:00", end="11:00", email="sam.okafor@example.org") -> dict:
    c = copy.deepcopy(example)
    c["activity"].update(date=day.isoformat(), start=start, end=end)
    c["claimant"]["email"] = email
    return c


def test_lead_not_registered_goes_to_every_coordinator(db, example_claim):
    with unit_of_work() as s:
        add_staff(s, email=COORD, name="C1", roles=["coordinator"])
        add_staff(s, email="c2@example.nhs.uk", name="C2", roles=["coordinator"])
        add_staff(s, email=LEAD, name="Not a lead", roles=["finance"])
    r = submit(example_claim)
    processing.process_batch()
    assert sorted(m.to_addr for m in outbox("claim_approval")) == ["c2@example.nhs.uk", COORD]
    assert get(r.reference).flags == ["receipt_missing", "not_in_register"]
    with pytest.raises(NotAllowed):
        claims.approve(r.reference, by=LEAD)
    claims.approve(r.reference, by="c2@example.nhs.uk")


def test_overlapping_claims_flag_the_later_one(db, example_claim):
    setup_people()
    a = submit(claim_on(example_claim, MONDAY, "10:00", "12:00"), "a")
    b = submit(claim_on(example_claim, MONDAY, "11:30", "13:00"), "b")
    c = submit(claim_on(example_claim, MONDAY, "13:00", "14:00"), "c")  # touches, does not overlap
    processing.process_batch()
    assert "duplicate_suspected" not in get(a.reference).flags
    assert "duplicate_suspected" in get(b.reference).flags
    assert "duplicate_suspected" not in get(c.reference).flags
    claims.reject(a.reference, by=LEAD, reason="duplicate")
    d = submit(claim_on(example_claim, MONDAY, "10:30", "11:00"), "d")  # overlaps only a, which is rejected
    e = submit(claim_on(example_claim, MONDAY, "12:30", "12:45"), "e")  # overlaps b
    processing.process_batch()
    assert "duplicate_suspected" not in get(d.reference).flags
    assert "duplicate_suspected" in get(e.reference).flags


def test_benefits_limit_counts_that_weeks_fees(db, example_claim):
    setup_people()
    with unit_of_work() as s:
        add_person(s, email="sam.okafor@example.org", name="Sam Okafor", weekly_earnings_limit=Decimal("100.00"))
    first = submit(claim_on(example_claim, MONDAY, "09:00", "12:00"), "w1")  # interview_panel: 1 block = 40
    second = submit(claim_on(example_claim, MONDAY + timedelta(days=2), "09:00", "12:00"), "w2")  # 80 so far
    processing.process_batch()
    third = submit(claim_on(example_claim, MONDAY + timedelta(days=4), "09:00", "12:00"), "w3")  # 120 > 100
    next_week = submit(claim_on(example_claim, MONDAY + timedelta(days=7), "09:00", "12:00"), "w4")
    processing.process_batch()
    assert "benefits_limit" not in get(first.reference).flags
    assert "benefits_limit" not in get(second.reference).flags
    assert "benefits_limit" in get(third.reference).flags
    assert "benefits_limit" not in get(next_week.reference).flags
    claims.approve(third.reference, by=LEAD, expenses_only=True)
    c = get(third.reference)
    assert c.expenses_only and c.payable_amount == c.expenses_amount
    [mail] = outbox("claim_approved_claimant")
    assert mail.context["expenses_only"] is True


def test_late_claim(db, example_claim):
    setup_people()
    r = submit(claim_on(example_claim, date.today() - timedelta(days=120)))
    processing.process_batch()
    assert "late" in get(r.reference).flags


def test_reminder_digest_once_a_day_per_approver(db, example_claim):
    setup_people()
    refs = [submit(claim_on(example_claim, MONDAY, f"{h:02d}:00", f"{h:02d}:30"), f"r{h}").reference
            for h in (9, 10)]
    processing.process_batch()
    assert reminders.queue_digests() == 0  # not waiting long enough yet
    with unit_of_work() as s:
        s.execute(update(Claim).values(processed_at=datetime.now(UTC) - timedelta(days=6)))
    assert reminders.queue_digests() == 1
    assert reminders.queue_digests() == 0  # one digest per approver per day
    [digest] = outbox("approval_reminder")
    assert digest.to_addr == LEAD and {c["reference"] for c in digest.context["claims"]} == set(refs)
    tomorrow = datetime.now(UTC) + timedelta(days=1)
    assert reminders.queue_digests(now=tomorrow) == 1


def test_payment_run_lists_each_claim_once(db, example_claim, tmp_path: Path):
    setup_people()
    refs = [submit(claim_on(example_claim, MONDAY, f"{h:02d}:00", f"{h:02d}:30"), f"p{h}").reference
            for h in (9, 10, 11)]
    processing.process_batch()
    for ref in refs[:2]:
        claims.approve(ref, by=LEAD)
    run = payment_runs.create_run(by=FIN, out_dir=tmp_path)
    assert len(run.claims) == 2
    rows = list(csv.DictReader(run.path.open()))
    assert sorted(r["reference"] for r in rows) == sorted(refs[:2])
    assert all(r["account_number"] == "******78" for r in rows)
    assert "12345678" not in run.path.read_text()
    claims.approve(refs[2], by=LEAD)
    second = payment_runs.create_run(by=FIN, out_dir=tmp_path, include_bank_details=True)
    assert [r["reference"] for r in csv.DictReader(second.path.open())] == [refs[2]]
    assert "12345678" in second.path.read_text()
    with pytest.raises(payment_runs.NothingToPay):
        payment_runs.create_run(by=FIN, out_dir=tmp_path)
    with pytest.raises(NotAllowed):
        payment_runs.create_run(by=LEAD, out_dir=tmp_path)


def test_bank_details_are_encrypted_at_rest(db, example_claim):
    r = submit(example_claim)
    with reader() as s:
        c = s.execute(select(Claim).where(Claim.reference == r.reference)).scalar_one()
    assert b"12345678" not in c.bank_details_encrypted and c.bank_details_masked == "******78"
    with reader() as s:
        assert not s.execute(select(OutboxEmail)).first()


def test_two_workers_see_each_others_fees_for_the_same_person(db, example_claim):
    """PostgreSQL: a batch waits for another worker's batch holding the same claimant (advisory lock),
    so the weekly fees it adds up include the other worker's claim once that commits."""
    if not db.startswith("postgresql"):
        pytest.skip("SQLite has one writer at a time; the race needs two PostgreSQL transactions")
    import threading
    import time

    from sqlalchemy import text

    from involve.db import get_engine

    setup_people()
    with unit_of_work() as s:
        add_person(s, email="sam.okafor@example.org", name="Sam Okafor", weekly_earnings_limit=Decimal("100.00"))
    y = submit(claim_on(example_claim, MONDAY, "09:00", "12:00"), "y")
    x = submit(claim_on(example_claim, MONDAY + timedelta(days=1), "09:00", "12:00"), "x")
    other_worker = get_engine().connect()
    tx = other_worker.begin()
    other_worker.execute(text("SELECT pg_advisory_xact_lock(hashtext(:k))"), {"k": "claimant:sam.okafor@example.org"})
    other_worker.execute(text("UPDATE claims SET status = 'awaiting_approval', fee_amount = 80 "
                              "WHERE reference = :r"), {"r": y.reference})
    done = []
    worker = threading.Thread(target=lambda: done.append(processing.process_batch()))
    worker.start()
    time.sleep(1.0)
    assert not done  # waiting for the other worker's batch
    tx.commit()
    other_worker.close()
    worker.join(30)
    assert done == [[x.reference]]
    assert "benefits_limit" in get(x.reference).flags
