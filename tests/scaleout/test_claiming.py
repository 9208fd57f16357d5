"""The claiming that lets several workers share the work, at the service level (no Prefect): flow
runs that overlap take each claim and send each email once; rows a dead worker had locked are
free again as soon as PostgreSQL drops its connection; a sender killed after the SMTP server
accepted a message resends that message (same Message-ID) and nothing else."""
from __future__ import annotations

import asyncio
import copy
import os
import signal
import subprocess
import sys
import threading
import time
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from involve.db import reader, unit_of_work
from involve.services import delivery, processing
from models import AuditRecord, Claim, OutboxEmail
from tests.e2e.harness import SmtpSink
from tests.integration.test_lifecycle import setup_people, submit

pytestmark = pytest.mark.scaleout
postgres_only = pytest.mark.parametrize("db", ["postgres"], indirect=True)
ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def backlog(example_claim: dict, n: int) -> list[str]:
    setup_people()
    refs = []
    for i in range(n):
        c = copy.deepcopy(example_claim)
        c["submission_id"] = f"claiming-{i}"
        c["claimant"]["email"] = f"person{i}@example.org"
        refs.append(submit(c, f"delivery-{i}").reference)
    return refs


def process_records() -> dict[str, int]:
    with reader() as s:
        return dict(s.execute(select(AuditRecord.reference, func.count())
                              .where(AuditRecord.action == "process").group_by(AuditRecord.reference)).all())


def in_parallel(n: int, work) -> list:
    """Run `work()` in n threads released together; returns their results."""
    gate, results = threading.Barrier(n), [None] * n

    def run(k: int) -> None:
        gate.wait()
        results[k] = work()

    threads = [threading.Thread(target=run, args=(k,)) for k in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    return results


def test_overlapping_batches_take_each_claim_once(db, example_claim):
    refs = backlog(example_claim, 120)

    def worker() -> list[str]:
        taken = []
        while batch := processing.process_batch(limit=7):
            taken += batch
        return taken

    taken = in_parallel(4, worker)
    everything = [r for batch in taken for r in batch]
    assert sorted(everything) == sorted(refs)  # each claim taken by exactly one batch
    assert process_records() == {r: 1 for r in refs}


def test_overlapping_senders_send_each_email_once(db, example_claim):
    backlog(example_claim, 60)
    processing.process_batch()
    sink = SmtpSink().start()
    try:
        def sender() -> int:
            sent = 0
            while True:
                s, f = asyncio.run(delivery.deliver_batch(limit=9, smtp_url=f"smtp://127.0.0.1:{sink.port}"))
                assert f == 0
                sent += s
                if s == 0:
                    return sent

        counts = in_parallel(4, sender)
        ids = [str(m["Message-ID"]) for m in sink.messages]
        assert sum(counts) == len(ids) == 120
        assert len(set(ids)) == 120
        with reader() as s:
            assert s.execute(select(func.count()).where(OutboxEmail.sent_at.is_(None))).scalar_one() == 0
    finally:
        sink.stop()


HOLD_ROWS = """
import sys, time
from involve.db import unit_of_work
from involve.services import processing
with unit_of_work() as session:
    rows = processing._take_submitted(session, int(sys.argv[1]))
    print(" ".join(c.reference for c in rows), flush=True)
    time.sleep(600)
"""


@postgres_only
def test_rows_locked_by_a_killed_worker_are_free_when_it_dies(db, example_claim):
    refs = backlog(example_claim, 30)
    holder = subprocess.Popen([sys.executable, "-c", HOLD_ROWS, "10"], stdout=subprocess.PIPE, text=True,
                              cwd=ROOT, start_new_session=True)
    try:
        held = holder.stdout.readline().split()
        assert len(held) == 10
        others = processing.process_batch()  # another worker meanwhile: skips the locked rows
        assert sorted(others) == sorted(set(refs) - set(held))
        assert processing.process_batch() == []
    finally:
        os.killpg(holder.pid, signal.SIGKILL)  # the worker dies in the middle of its batch
        holder.wait(10)
    end = time.monotonic() + 10
    taken: list[str] = []
    while len(taken) < 10 and time.monotonic() < end:
        taken += processing.process_batch()
        time.sleep(0.05)
    assert sorted(taken) == sorted(held)
    assert process_records() == {r: 1 for r in refs}
    with reader() as s:
        assert set(s.execute(select(Claim.status)).scalars()) == {"awaiting_approval"}


SEND_ONE_AND_DIE = """
import asyncio, sys
from involve.services import delivery
asyncio.run(delivery.deliver_batch(limit=500, smtp_url=sys.argv[1]))
"""


@postgres_only
@pytest.mark.parametrize("connections", [1, 4])
def test_a_sender_killed_after_the_smtp_accept_resends_that_email_only(db, example_claim, connections):
    """Killed at the first accept: with one connection exactly that email goes again; with several
    (INVOLVE_SMTP_CONNECTIONS), also those the other connections had accepted by then (at most one
    each): every resend carries its Message-ID, and no other email goes twice."""
    backlog(example_claim, 20)
    processing.process_batch()
    sink = SmtpSink().start()
    url = f"smtp://127.0.0.1:{sink.port}"
    try:
        env = dict(os.environ, INVOLVE_FAULTPOINTS="deliver.after_send", INVOLVE_OUTBOX_LEASE_SECONDS="120",
                   INVOLVE_SMTP_CONNECTIONS=str(connections))
        r = subprocess.run([sys.executable, "-c", SEND_ONE_AND_DIE, url], env=env, cwd=ROOT, timeout=120,
                           capture_output=True, text=True)
        assert r.returncode == -signal.SIGKILL, r.stderr
        accepted = len(sink.messages)  # accepted by the SMTP server, not recorded as sent
        assert accepted == 1 if connections == 1 else 1 <= accepted <= connections
        assert asyncio.run(delivery.deliver_batch(smtp_url=url)) == (0, 0)  # all still leased
        with unit_of_work() as s:  # two minutes later (not waited for: this machine's load would decide it)
            for row in s.execute(select(OutboxEmail).where(OutboxEmail.sent_at.is_(None))).scalars():
                row.lease_until -= timedelta(seconds=121)
        assert asyncio.run(delivery.deliver_batch(smtp_url=url)) == (40, 0)  # the lease ran out
        ids = [str(m["Message-ID"]) for m in sink.messages]
        assert len(ids) == 40 + accepted and len(set(ids)) == 40  # the resends, recognisable by Message-ID
    finally:
        sink.stop()
