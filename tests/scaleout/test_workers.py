"""Scale-out, for real: a Prefect server, PostgreSQL, `make deploy`, two `make worker` processes and
`INVOLVE_RUNNER=deployments involve serve`. 300 signed claims arrive; one worker is SIGKILLed
(its process group and its flow runs) while one of its flow runs has a database transaction open.
Every claim must be processed exactly once, every email must arrive, and the work must show on the
Prefect server as completed deployment flow runs, each run inside a worker's own process (involve/worker.py).

Needs INVOLVE_TEST_POSTGRES_URL (.ci/run sets it). INVOLVE_SCALEOUT_CLAIMS changes the count.
"""
from __future__ import annotations

import os
import signal
import time
import warnings
from collections import Counter

import pytest

from involve.runner import DeploymentHandoff
from tests.scaleout.cluster import COORD, Cluster, MailLog, Sender

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


def kill_midway(cluster: Cluster, sender: Sender, victim, survivor, timeout: float = 90.0) -> str:
    """SIGKILL `victim` (its process group and its flow runs) in the middle of its work: the moment
    one of its flow runs is inside a transaction that has written (a processing batch holding its
    claims FOR UPDATE, or an outbox lease or mark). Meanwhile the survivor is paused (SIGSTOP), so
    the victim is the one that takes the hand-offs; it resumes as the victim dies."""
    survivor.signal_group(signal.SIGSTOP)
    try:
        wait_for(lambda: len(sender.refs) >= N // 3 or not sender.alive(), timeout=120, every=0.05)
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            doing = cluster.writing(victim)
            if doing:
                victim.kill()
                return "killed while its flow run was writing " + " ".join(doing.split())[:120]
            time.sleep(0.01)
        victim.kill()
        return f"killed after {timeout:.0f} s without catching it in a transaction"
    finally:
        survivor.signal_group(signal.SIGCONT)


def timeline(runs, t0: float) -> str:
    """The deployment runs that left Scheduled, seconds after the first POST (to read a slow run by)."""
    def at(t):
        return f"{t.timestamp() - t0:6.1f}" if t else "     -"

    shown = [(name, run) for name, run in runs if run.state and run.state.type.value != "SCHEDULED"]
    shown.sort(key=lambda nr: nr[1].created.timestamp() if nr[1].created else 0)
    return "\n".join(f"  {name:20} created {at(run.created)} start {at(run.start_time)} "
                     f"end {at(run.end_time)} {run.state.name}" for name, run in shown)


def test_two_workers_one_killed(cluster):
    live, sink = cluster.live, cluster.sink
    victim, survivor = cluster.workers
    began = time.monotonic()
    sender = Sender(live, N).start()
    how = kill_midway(cluster, sender, victim, survivor)
    killed_at = time.time()
    sender.join()
    assert not sender.errors, sender.errors[:5]
    assert len(sender.refs) == N

    done = wait_for(lambda: cluster.claim_statuses().get("awaiting_approval", 0) >= N, timeout=180)
    assert done, (f"claims by status: {cluster.claim_statuses()}\nserve:\n{live.log_tail()}\n"
                  f"survivor:\n{survivor.tail()}")
    assert cluster.claim_statuses() == {"awaiting_approval": N}
    processed = time.monotonic()

    # processed exactly once: one `process` audit record per claim, none twice
    records = cluster.process_records()
    assert set(records) == set(sender.refs)
    assert {ref: n for ref, n in records.items() if n != 1} == {}

    # every claimant and approver email arrives; resends after the kill are counted, not hidden
    expected = {(ref, kind) for ref in sender.refs for kind in ("received", "approval")}
    mail = MailLog(sink)
    arrived = wait_for(lambda: expected <= set(mail.update().counts), timeout=cluster.lease_seconds + 120)
    mailed = time.monotonic()
    missing = sorted(expected - set(mail.counts))
    assert arrived and not missing, f"{len(missing)} emails missing, e.g. {missing[:5]}"
    assert mail.multi_recipient == 0
    assert mail.recipients["approval"] == {COORD}
    assert mail.recipients["received"] == {f"claimant{i}.{sender.run}@example.org" for i in range(N)}
    report = (f"scale-out: {N} claims, 2 workers, one {how}; {mail.total} emails for {len(expected)} "
              f"expected; {mail.duplicates} duplicates ({mail.same_message_id_twice} resent with the same "
              f"Message-ID after the kill); start-up {cluster.startup_seconds:.0f} s, all processed "
              f"{processed - began:.0f} s and all mail {mailed - began:.0f} s after the first POST")
    print(report)
    if mail.duplicates:
        warnings.warn(report, stacklevel=1)
    assert mail.duplicates == mail.same_message_id_twice  # a duplicate is only a resend of one outbox row

    # the work ran as deployment flow runs on the Prefect server, on the survivor after the kill; the
    # deployments serve hands off to are the ones `make deploy` created from prefect.yaml
    assert set(DeploymentHandoff.DEPLOYMENTS) <= cluster.deployment_names()
    runs = cluster.flow_runs()
    completed = Counter(name for name, run in runs if run.state and run.state.is_completed())
    assert completed["process-claims"] >= 1, runs
    after_kill = [run for _, run in runs if run.state and run.state.is_completed() and run.start_time
                  and run.start_time.timestamp() > killed_at]
    assert after_kill, "no deployment run completed after the worker was killed"
    # each ran inside a worker's own long-lived process (`involve worker`), not a new process per run
    started = [(name, run.infrastructure_pid) for name, run in runs if run.start_time]
    assert started and all((pid or "").endswith(":in-process") for _, pid in started), started
    handed_off = [run for _, run in runs if "handoff" in (run.tags or [])]
    assert 1 <= len(handed_off) <= max(10, N // 10), f"{len(handed_off)} hand-offs for {N} claims"
    print(f"flow runs: {dict(Counter((name, run.state.name) for name, run in runs if run.state))}")
    print(f"start-up (s since start): {cluster.timings}")
    print(timeline(runs, sender.started))

    r = live.cli("audit", "verify")
    assert r.returncode == 0, r.stderr
