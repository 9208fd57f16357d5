"""`involve worker` (involve/worker.py): a deployment's flow run is run in the worker's own process
with the registry's flow when the deployment is one of the registry's, and by Prefect's subprocess path
otherwise; an in-process run is never "killed" by killing its infrastructure pid (the worker itself)."""
from __future__ import annotations

import asyncio
import os
import uuid
from types import SimpleNamespace

from prefect.workers.process import ProcessWorker

from flows.registry import BY_NAME
from involve.worker import InProcessWorker


class FakeClient:
    def __init__(self, entrypoints: dict) -> None:
        self.entrypoints, self.reads = entrypoints, 0

    async def read_deployment(self, deployment_id):
        self.reads += 1
        return SimpleNamespace(entrypoint=self.entrypoints[deployment_id])


def test_a_registry_deployment_runs_in_process_and_others_do_not():
    ours, other = uuid.uuid4(), uuid.uuid4()
    worker = InProcessWorker(work_pool_name="involve")
    client = FakeClient({ours: "flows/outbox.py:deliver_outbox", other: "elsewhere.py:some_flow"})
    worker._client = client

    async def look(deployment_id):
        return await worker._registry_flow(SimpleNamespace(deployment_id=deployment_id))

    assert asyncio.run(look(ours)) is BY_NAME["deliver-outbox"]
    assert asyncio.run(look(other)) is None
    assert asyncio.run(look(None)) is None  # an ad hoc run (no deployment) is not ours either
    assert asyncio.run(look(ours)) is BY_NAME["deliver-outbox"] and client.reads == 2  # read once each


def test_cancelling_an_in_process_run_does_not_kill_the_worker(monkeypatch):
    killed = []

    async def kill(self, infrastructure_pid, configuration, grace_seconds=30):
        killed.append(infrastructure_pid)

    monkeypatch.setattr(ProcessWorker, "kill_infrastructure", kill)
    worker = InProcessWorker(work_pool_name="involve")
    asyncio.run(worker.kill_infrastructure(f"host:{os.getpid()}:in-process", configuration=None))
    asyncio.run(worker.kill_infrastructure("4242", configuration=None))  # a subprocess run: Prefect's way
    assert killed == ["4242"]
