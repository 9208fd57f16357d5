"""`involve worker` (`make worker`): a Prefect worker on the process pool that runs involve's flows
inside itself, one long-lived process, instead of a new Python process per flow run.

Why: Prefect's process worker starts every flow run as a new Python process that imports Prefect and
involve (10–25 s and several CPU seconds each on a busy 2-core machine). In the scale-out benchmark
that start-up was most of the cluster's CPU, so a second worker started more runs and delivered no
faster (docs/performance.md, issue 17 part 5). This worker imports the registry's flows once, at
start, and runs each flow run it takes in a thread of its own with its own event loop (as the
embedded runner does), so a run starts in milliseconds. Scaling out is one such process per core or
machine, all against the same PostgreSQL database and Prefect server.

Everything else is Prefect's process worker, unchanged (`InProcessWorker` subclasses it): it polls the
work pool, takes a run only when the server accepts its Pending state (so two workers never both run
one flow run), honours `--limit`, and the deployments' schedules and concurrency limits (prefect.yaml)
still decide when the scheduled flows run and that they never overlap. A run whose deployment is not
one of the registry's flows (flows/registry.py) goes to the process worker's own subprocess path.

kill -9: the in-process runs die with the worker and stay Running in the API; their work does not:
claims are taken inside a transaction (FOR UPDATE SKIP LOCKED: rolled back), emails are leased
(lease_until: sent again after the lease) and a deployment concurrency slot is a lease this process
renewed (it expires). The hand-off and the minute sweeps create new runs for what is left.
Cancelling a run from the UI cannot stop it here (a thread cannot be killed): it finishes its batch.
"""
from __future__ import annotations

import abc
import asyncio
import logging
import os
import signal
import socket

import anyio
from prefect.workers.process import ProcessWorker, ProcessWorkerResult

from flows.registry import REGISTRY, Flow

log = logging.getLogger("involve.worker")


class InProcessWorker(ProcessWorker, abc.ABC):
    """Prefect's process worker (type "process", so `make deploy`'s pool serves it) that runs the
    registry's flows in this process. (`abc.ABC` among its bases keeps it out of Prefect's worker-type
    registry: "process" still means Prefect's own class everywhere else.)"""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self._flows: dict[str, Flow | None] = {}   # deployment id -> registry flow (None: not ours)
        self.ran: dict[str, int] = {}               # flow name -> runs this worker ran in-process

    async def _registry_flow(self, flow_run) -> Flow | None:
        """The registry's flow for `flow_run`'s deployment (same entrypoint as prefect.yaml), or None."""
        key = str(flow_run.deployment_id)
        if key not in self._flows:
            deployment = await self.client.read_deployment(flow_run.deployment_id) if flow_run.deployment_id \
                else None
            entrypoint = deployment.entrypoint if deployment else None
            self._flows[key] = next((f for f in REGISTRY if f.entrypoint == entrypoint), None)
        return self._flows[key]

    async def run(self, flow_run, configuration, task_status=None) -> ProcessWorkerResult:
        flow = await self._registry_flow(flow_run)
        if flow is None:
            return await super().run(flow_run, configuration, task_status)
        identifier = f"{socket.gethostname()}:{os.getpid()}:in-process"
        if task_status is not None:
            task_status.started(identifier)  # truthy: the worker keeps its --limit slot until we return
        self.ran[flow.name] = self.ran.get(flow.name, 0) + 1
        # the thread is not abandoned on cancel: SIGTERM lets the runs in progress finish
        code = await anyio.to_thread.run_sync(run_in_thread, flow, flow_run)
        return ProcessWorkerResult(status_code=code, identifier=identifier)

    async def kill_infrastructure(self, infrastructure_pid: str, configuration, grace_seconds: int = 30) -> None:
        if infrastructure_pid.endswith(":in-process"):
            log.warning("a flow run in this worker cannot be killed; it stops after its current batch")
            return
        await super().kill_infrastructure(infrastructure_pid, configuration, grace_seconds)


def run_in_thread(flow: Flow, flow_run) -> int:
    """Run `flow_run` with the registry flow's code, on an event loop of this thread's own; 0 when the
    flow run reached a final state (a failed run is the API's business, as in a subprocess), 1 when the
    engine itself broke (the worker then reports the run Crashed)."""
    from prefect.flow_engine import load_flow_run, run_flow
    from prefect.logging.loggers import flow_run_logger

    try:
        flow_run = load_flow_run(flow_run.id)  # as the subprocess would: its state now (Pending), not Scheduled
        asyncio.run(run_flow(flow.load(), flow_run=flow_run, return_type="state",
                             error_logger=flow_run_logger(flow_run=flow_run)))
    except Exception:  # noqa: BLE001 - one broken run must not stop the worker
        log.exception("flow run %s (%s) broke the engine", flow_run.name, flow.name)
        return 1
    return 0


def start(*, pool: str, limit: int | None, name: str | None = None) -> None:
    """Import every flow once, then run the worker until SIGTERM/SIGINT (runs in progress finish)."""
    from prefect.settings import PREFECT_WORKER_HEARTBEAT_SECONDS

    for flow in REGISTRY:
        flow.load()
    worker = InProcessWorker(work_pool_name=pool, limit=limit, name=name,
                             heartbeat_interval_seconds=int(PREFECT_WORKER_HEARTBEAT_SECONDS.value()))
    asyncio.run(_until_signal(worker))


async def _until_signal(worker: InProcessWorker) -> None:
    main = asyncio.current_task()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, main.cancel)
    try:
        await worker.start(printer=lambda text: print(text, flush=True))
    except asyncio.CancelledError:
        print(f"Worker {worker.name!r} stopped!", flush=True)
