"""DeploymentHandoff (INVOLVE_RUNNER=deployments) against a fake Prefect client: a burst of work makes
one waiting run per deployment, not one per claim; a run stuck Pending (its worker died) stops
counting after the grace period; a running run does not stop a new hand-off."""
from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from types import SimpleNamespace

from prefect.states import Pending, Running, Scheduled

from involve.runner import DeploymentHandoff

CLAIMS, OUTBOX = DeploymentHandoff.PROCESS_CLAIMS, DeploymentHandoff.DELIVER_OUTBOX


class FakeClient:
    def __init__(self) -> None:
        self.ids = {CLAIMS: uuid.uuid4(), OUTBOX: uuid.uuid4()}
        self.runs: list[SimpleNamespace] = []

    def read_deployment_by_name(self, name):
        return SimpleNamespace(id=self.ids[name])

    def read_flow_runs(self, *, flow_run_filter, sort, limit):
        wanted = flow_run_filter.deployment_id.any_
        types = flow_run_filter.state.type.any_
        return [r for r in self.runs if r.deployment_id in wanted and r.state.type in types][:limit]

    def create_flow_run_from_deployment(self, deployment_id, *, tags):
        run = SimpleNamespace(name=f"run-{len(self.runs)}", deployment_id=deployment_id, state=Scheduled())
        self.runs.append(run)
        return run

    def made(self, name: str) -> int:
        return sum(r.deployment_id == self.ids[name] for r in self.runs)


def handoff(work: dict) -> DeploymentHandoff:
    h = DeploymentHandoff()
    h.work = lambda: {name: (lambda n=n: n) for name, n in work.items()}
    return h


def test_a_burst_makes_one_waiting_run_per_deployment():
    client, h = FakeClient(), handoff({CLAIMS: 300, OUTBOX: 0})
    for _ in range(300):
        h.cycle(client)
    assert (client.made(CLAIMS), client.made(OUTBOX)) == (1, 0)
    assert h.skipped[CLAIMS] == 299


def test_a_run_picked_up_still_counts_until_the_grace_period_ends():
    client, h = FakeClient(), handoff({CLAIMS: 5})
    h.cycle(client)
    [run] = client.runs
    run.state = Pending()
    h.cycle(client)
    assert client.made(CLAIMS) == 1
    stuck = datetime.now(UTC) - timedelta(seconds=h.pending_grace + 1)
    run.state = Pending().model_copy(update={"timestamp": stuck})
    h.cycle(client)  # left Pending by a worker that died: hand off again
    assert client.made(CLAIMS) == 2


def test_a_running_run_does_not_cover_new_work():
    client, h = FakeClient(), handoff({CLAIMS: 5})
    h.cycle(client)
    client.runs[0].state = Running()
    h.cycle(client)
    assert client.made(CLAIMS) == 2


def test_no_work_no_run_and_errors_do_not_stop_it():
    client, h = FakeClient(), handoff({CLAIMS: 0, OUTBOX: 0})
    h.cycle(client)
    assert client.runs == []

    class Down(FakeClient):
        def read_deployment_by_name(self, name):
            raise ConnectionError("prefect server unreachable")

    h = handoff({CLAIMS: 3})
    h.cycle(Down())  # logged, not raised
    client = FakeClient()
    h.cycle(client)
    assert client.made(CLAIMS) == 1


def test_a_backlog_keeps_one_run_waiting_for_each_worker_slot_that_frees():
    """Issue 17 part 5: 2,000 emails are 20 runs' share (flows/registry.py, share=100); a run taken by
    a worker (Pending, starting) no longer stops the next, so a second worker's slots get runs too.
    Only one run waits for a worker at a time."""
    client, h = FakeClient(), handoff({OUTBOX: 2000})
    h.cycle(client)
    h.cycle(client)
    assert client.made(OUTBOX) == 1  # the first is still waiting for a worker
    for _ in range(5):
        client.runs[-1].state = Pending()  # a worker took it
        h.cycle(client)
    assert client.made(OUTBOX) == 6


def test_work_for_one_run_makes_one_run_while_it_starts():
    client, h = FakeClient(), handoff({OUTBOX: 100, CLAIMS: 500})
    h.cycle(client)
    for run in client.runs:
        run.state = Pending()
    h.cycle(client)
    assert (client.made(OUTBOX), client.made(CLAIMS)) == (1, 1)
    assert h.runs_wanted(OUTBOX, 101) == 2 and h.runs_wanted(CLAIMS, 501) == 2
