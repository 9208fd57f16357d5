"""Scale-out, for real: a Prefect server, PostgreSQL, `make deploy`, two `make worker` processes and
`INVOLVE_RUNNER=deployments involve serve`. 300 signed claims arrive; one worker is SIGKILLed
(its process group and its flow runs) while one of its flow runs has a database transaction open.
Every claim must be processed exactly once, every email must arrive, and the work must show on the
Prefect server as completed deployment flow runs.

Needs INVOLVE_TEST_POSTGRES_URL (.ci/run sets it). INVOLVE_SCALEOUT_CLAIMS changes the count.
"""
from __future__ import annotations

import os
import time
import warnings
from collections import Counter

import pytest

from tests.scaleout.cluster import COORD, Cluster, Sender, email_counts

PG = os.environ.get("INVOLVE_TEST_POSTGRES_URL")
N = int(os.environ.get("INVOLVE_SCALEOUT_CLAIMS", "300"))

pytestmark = [pytest.mark.scaleout, pytest.mark.timeout(480)]


@pytest.fixture
def cluster(tmp_path):
    if not PG:
        if os.environ.get("INVOLVE_TEST_REQUIRE_POSTGRES") == "1":
            pytest.fail("INVOLVE_TEST_REQUIRE_POSTGRES=1 but INVOLVE_TEST_POSTGRES_URL is not set")
        pytest.skip("scale-out needs PostgreSQL: INVOLVE_TEST_POSTGRES_URL is not set (.ci/run sets it)")
    c = Cluster(tmp_path / "cluster", PG, lease_seconds=float(os.environ.get("SCALEOUT_LEASE", "10")))
    try:
        c.start(workers=2)
        yield c
    finally:
        c.stop()


def wait_for(check, timeout: float, every: float = 0.5):
    end = time.monotonic() + timeout
    while True:
        result = check()
        if result or time.monotonic() > end:
            return result
        time.sleep(every)


def kill_midway(cluster: Cluster, sender: Sender, victim, timeout: float = 60.0) -> str:
    """Once a third of the claims are in, SIGKILL `victim` (group and flow runs) the moment one of its
    flow runs has a transaction open (rows locked, or an outbox lease/mark); after `timeout`, anyway."""
    wait_for(lambda: len(sender.refs) >= N // 3 or not sender.thread.is_alive(), timeout=120, every=0.05)
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        query = cluster.open_transaction(victim)
        if query:
            victim.kill()
            return "killed inside a transaction: " + " ".join(query.split())[:100]
        time.sleep(0.01)
    victim.kill()
    return "killed with no transaction of its own open"


def test_two_workers_one_killed(cluster):
    live, sink = cluster.live, cluster.sink
    victim, survivor = cluster.workers
    sender = Sender(live, N).start()
    how = kill_midway(cluster, sender, victim)
    killed_at = time.time()
    sender.join()
    assert not sender.errors, sender.errors[:5]
    assert len(sender.refs) == N

    done = wait_for(lambda: cluster.claim_statuses().get("awaiting_approval", 0) >= N, timeout=180)
    assert done, (f"claims by status: {cluster.claim_statuses()}\nserve:\n{live.log_tail()}\n"
                  f"survivor:\n{survivor.tail()}")
    assert cluster.claim_statuses() == {"awaiting_approval": N}

    # processed exactly once: one `process` audit record per claim, none twice
    records = cluster.process_records()
    assert set(records) == set(sender.refs)
    assert {ref: n for ref, n in records.items() if n != 1} == {}

    # every claimant and approver email arrives; resends after the kill are counted, not hidden
    expected = {(ref, kind) for ref in sender.refs for kind in ("received", "approval")}

    def all_mail():
        counts, _ = email_counts(sink)
        return expected <= set(counts)

    arrived = wait_for(all_mail, timeout=cluster.lease_seconds + 120)
    counts, same_message_twice = email_counts(sink)
    missing = sorted(expected - set(counts))
    assert arrived and not missing, f"{len(missing)} emails missing, e.g. {missing[:5]}"
    assert all(len(m["X-Rcpt"].split(",")) == 1 for m in sink.messages)
    approvals = [m for m in sink.messages if "approval" in str(m["Subject"]).lower()]
    assert {m["X-Rcpt"] for m in approvals} == {COORD}
    duplicates = sum(n - 1 for n in counts.values())
    report = (f"scale-out: {N} claims, 2 workers, one {how}; {len(sink.messages)} emails for "
              f"{len(expected)} expected; {duplicates} duplicates ({same_message_twice} resent with the "
              f"same Message-ID after the kill)")
    print(report)
    if duplicates:
        warnings.warn(report, stacklevel=1)
    assert duplicates == same_message_twice  # a duplicate is only ever a resend of the same outbox row

    # the work ran as deployment flow runs on the Prefect server, on the survivor after the kill
    runs = cluster.flow_runs()
    completed = Counter(name for name, run in runs if run.state and run.state.is_completed())
    assert completed["process-claims"] >= 1, runs
    assert completed["deliver-outbox"] >= 1, runs
    after_kill = [run for _, run in runs if run.state and run.state.is_completed() and run.start_time
                  and run.start_time.timestamp() > killed_at]
    assert after_kill, "no deployment run completed after the worker was killed"
    assert len(runs) < N, f"{len(runs)} flow runs for {N} claims: hand-off is not debounced"
    print(f"flow runs: {dict(Counter((name, run.state.name) for name, run in runs if run.state))}")

    r = live.cli("audit", "verify")
    assert r.returncode == 0, r.stderr
