"""Issue 17, part 1: the runner writes in short transactions, and a writer waiting for SQLite's lock
takes it as soon as it is free (serve's web app and its runner child are two processes)."""
from __future__ import annotations

import threading
from datetime import timedelta
from decimal import Decimal

import pytest
from sqlalchemy import func, select, text

from involve import faults
from involve.db import get_engine, reader, unit_of_work
from involve.services import processing
from involve.services.people import add_person
from models import Claim
from tests.integration.test_lifecycle import get, setup_people, submit
from tests.integration.test_processing import MONDAY, claim_on


def _moved() -> int:
    with reader() as s:
        return s.execute(select(func.count()).select_from(Claim).where(Claim.status == "awaiting_approval")
                         ).scalar_one()


def test_a_batch_commits_in_chunks(db, example_claim, monkeypatch):
    setup_people()
    refs = [submit(claim_on(example_claim, MONDAY - timedelta(weeks=n)), f"c{n}").reference for n in range(5)]
    seen = []
    original = faults.point
    monkeypatch.setattr(faults, "point", lambda name: (name == "process.after_commit" and seen.append(_moved()),
                                                       original(name))[1])
    done = processing.process_batch(limit=500, chunk=2, quiet_chunk=2)
    assert sorted(done) == sorted(refs)
    assert seen == [2, 4, 5]  # three transactions, each visible once committed


def test_chunks_see_each_others_fees(db, example_claim):
    """The weekly earnings check counts the fees earlier chunks committed, as one batch counted them."""
    setup_people(sam=False)
    with unit_of_work() as s:
        add_person(s, email="sam.okafor@example.org", name="Sam Okafor", weekly_earnings_limit=Decimal("100.00"))
    made = [submit(claim_on(example_claim, MONDAY + timedelta(days=2 * n), "09:00", "12:00"), f"w{n}").reference
            for n in range(3)]  # 40 each: 120 > 100 with the third
    assert sorted(processing.process_batch(chunk=1, quiet_chunk=1)) == sorted(made)
    assert ["benefits_limit" in get(ref).flags for ref in made] == [False, False, True]


def _sqlite_only(db: str) -> None:
    if not db.startswith("sqlite"):
        pytest.skip("SQLite's write lock")


def test_a_waiting_writer_polls_for_the_lock_and_gets_it_when_released(db):
    _sqlite_only(db)
    holder = get_engine().raw_connection()
    holder.execute("BEGIN IMMEDIATE")  # another writer (in serve: the other process) holds the lock
    tries = []
    engine = get_engine()
    with engine.connect() as probe:  # every connection of the pool reports its BEGINs
        probe.connection.dbapi_connection.set_trace_callback(
            lambda sql: sql.startswith("BEGIN IMMEDIATE") and tries.append(sql))
    threading.Timer(0.3, holder.commit).start()
    with unit_of_work() as s:
        s.execute(text("SELECT 1"))
        timeout = s.execute(text("PRAGMA busy_timeout")).scalar_one()
    holder.close()
    assert len(tries) > 1  # it tried again and again (SQLite's busy handler would have slept inside one)
    assert timeout == int(float(30) * 1000)  # the busy_timeout of every other statement is put back


def test_a_writer_still_gives_up_after_the_busy_timeout(db, monkeypatch):
    _sqlite_only(db)
    from sqlalchemy.exc import OperationalError

    from involve import settings as settings_module
    from involve.db import dispose_engines

    monkeypatch.setenv("INVOLVE_SQLITE_BUSY_TIMEOUT_SECONDS", "0.2")
    settings_module.reset_settings()
    dispose_engines()
    holder = get_engine().raw_connection()
    holder.execute("BEGIN IMMEDIATE")
    try:
        with pytest.raises(OperationalError, match="database is locked"):
            with unit_of_work() as s:
                s.execute(text("SELECT 1"))
    finally:
        holder.rollback()
        holder.close()


def test_a_begin_that_found_the_lock_taken_is_remembered(db):
    _sqlite_only(db)
    from involve import db as db_module

    db_module._contended[0] = 0.0
    with unit_of_work() as s:  # nobody else writes: no wait
        s.execute(text("SELECT 1"))
    assert not db_module.write_lock_contended(60)
    holder = get_engine().raw_connection()
    holder.execute("BEGIN IMMEDIATE")  # intake, in serve's other process
    threading.Timer(0.1, holder.commit).start()
    with unit_of_work() as s:
        s.execute(text("SELECT 1"))
    holder.close()
    assert db_module.write_lock_contended(60)


def test_the_runner_pauses_longer_between_chunks_while_intake_waits(db, example_claim, monkeypatch):
    """While another writer keeps finding the lock taken, the pause is YIELD_FACTOR × the chunk's own time
    (at most MAX_PAUSE); otherwise CHUNK_PAUSE, so at idle claims are processed as before."""
    setup_people()
    for n in range(4):
        submit(claim_on(example_claim, MONDAY - timedelta(weeks=n)), f"p{n}")
    pauses = []
    monkeypatch.setattr(processing.time, "sleep", pauses.append)
    monkeypatch.setattr(processing, "write_lock_contended", lambda within: True)
    assert len(processing.process_batch(chunk=1, quiet_chunk=1)) == 4
    assert len(pauses) == 4  # before each chunk after the first (the fifth finds none left)
    assert all(processing.CHUNK_PAUSE < p <= processing.MAX_PAUSE for p in pauses)
    assert processing._pause(1.0) == processing.MAX_PAUSE
    assert processing._pause(0.01) == processing.YIELD_FACTOR * 0.01
    monkeypatch.setattr(processing, "write_lock_contended", lambda within: False)
    assert processing._pause(1.0) == processing.CHUNK_PAUSE


def _with_a_new_coordinator_after_the_first_chunk(monkeypatch) -> None:
    """A co-ordinator added while a batch runs, between its first and second chunk."""
    from involve.services.people import add_staff

    added = []

    def point(name):
        if name == "process.after_commit" and not added:
            with unit_of_work() as s:
                add_staff(s, email="new.coord@example.nhs.uk", name="New", roles=["coordinator"])
            added.append(True)

    monkeypatch.setattr(faults, "point", point)


def test_staff_and_absences_are_read_once_per_batch_not_per_chunk(db, example_claim, monkeypatch):
    """Routing inputs no chunk writes (staff, who is away today) are read once per call, as the single
    transaction of 500 read them: the chunks' approvers are those of one batch committed before the
    change, and the next call sees it."""
    from tests.integration.test_lifecycle import COORD, outbox

    setup_people()
    calls = {"staff": 0, "away": 0}
    staff_roles, away_today = processing.staff_roles, processing.away_today
    monkeypatch.setattr(processing, "staff_roles", lambda s: (calls.__setitem__("staff", calls["staff"] + 1),
                                                              staff_roles(s))[1])
    monkeypatch.setattr(processing, "away_today", lambda s, d: (calls.__setitem__("away", calls["away"] + 1),
                                                                away_today(s, d))[1])
    _with_a_new_coordinator_after_the_first_chunk(monkeypatch)
    no_lead = dict(example_claim, activity=dict(example_claim["activity"], lead_email=None))
    first = [submit(claim_on(no_lead, MONDAY - timedelta(weeks=n)), f"a{n}").reference for n in range(3)]
    assert sorted(processing.process_batch(chunk=1, quiet_chunk=1)) == sorted(first)
    assert calls == {"staff": 1, "away": 1}
    later = submit(claim_on(no_lead, MONDAY - timedelta(weeks=5)), "later").reference
    assert processing.process_batch(chunk=1, quiet_chunk=1) == [later]
    to = {ref: sorted(m.to_addr for m in outbox("claim_approval") if m.reference == ref) for ref in [*first, later]}
    assert all(COORD in to[ref] and "new.coord@example.nhs.uk" not in to[ref] for ref in first)
    assert COORD in to[later] and "new.coord@example.nhs.uk" in to[later]


def test_work_done_before_the_lock_never_outlives_a_change_to_the_claim(db, example_claim, monkeypatch):
    """`_prepare` decrypts the next chunk's payment details before the write lock; a writer that changes
    a claim's details in between (here: right after it) wins: the chunk takes what it reads itself."""
    from involve import crypto
    from involve.services.payees import current_bank, payees_by_email

    setup_people()
    other = {"account_name": "S Okafor", "sort_code": "08-99-99", "account_number": "66374958"}
    ref = submit(claim_on(example_claim, MONDAY), "p").reference
    prepared = []
    real = processing._prepare

    def prepare_then_change(limit):
        got = real(limit)
        prepared.append(got)
        with unit_of_work() as s:
            s.execute(Claim.__table__.update().where(Claim.reference == ref)
                      .values(bank_details_encrypted=crypto.encrypt_json(other)))
        return got

    monkeypatch.setattr(processing, "_prepare", prepare_then_change)
    assert processing.process_batch() == [ref]
    assert [d["account_number"] for d in prepared[0].values()] == ["12345678"]  # prepared: the old details
    with reader() as s:
        payee = payees_by_email(s, {"sam.okafor@example.org"})["sam.okafor@example.org"]
        assert current_bank(payee)["account_number"] == "66374958"  # recorded: the ones committed since


def test_details_that_cannot_be_decrypted_set_that_claim_aside_and_not_the_batch(db, example_claim):
    """What `_prepare` cannot do (here: decrypt) is left to the chunk, which sets that one claim aside."""
    setup_people()
    bad = submit(claim_on(example_claim, MONDAY), "bad").reference
    good = submit(claim_on(example_claim, MONDAY - timedelta(weeks=1)), "good").reference
    with unit_of_work() as s:
        s.execute(Claim.__table__.update().where(Claim.reference == bad).values(bank_details_encrypted=b"not fernet"))
    assert processing.process_batch() == [good]
    assert get(bad).status == "submitted" and get(bad).hold_reason


@pytest.mark.parametrize("intake_waited", [False, True])
def test_chunks_are_larger_while_nobody_waits_for_the_lock(db, example_claim, monkeypatch, intake_waited):
    """SQLite: `quiet_chunk` claims a transaction while no writer has waited lately, `chunk` once one has
    (the lock is then held a few milliseconds at a time); PostgreSQL: always `chunk`."""
    setup_people()
    for n in range(6):
        submit(claim_on(example_claim, MONDAY - timedelta(weeks=n)), f"q{n}")
    monkeypatch.setattr(processing, "write_lock_contended", lambda within: intake_waited)
    seen = []
    original = faults.point
    monkeypatch.setattr(faults, "point", lambda name: (name == "process.after_commit" and seen.append(_moved()),
                                                       original(name))[1])
    assert len(processing.process_batch(limit=500, chunk=2, quiet_chunk=4)) == 6
    small = intake_waited or not db.startswith("sqlite")
    assert seen == ([2, 4, 6] if small else [4, 6])
