"""Runners that `involve serve` starts beside the web app.

Both read the flow registry (flows/registry.py): which flows exist, their schedules and their
"is there work waiting" checks.

- EmbeddedRunner (INVOLVE_RUNNER=embedded): a thread with its own event loop that runs the
  flows in-process against the ephemeral Prefect API. It wakes when a claim or an action
  arrives, and otherwise polls the database every `poll` seconds, so work queued by the CLI or
  left by a crash is picked up. Each cycle runs a flow when there is work for it, and each
  scheduled flow (reminders, retention, the forum report) at its cron time in Europe/London,
  as the deployments do.
- DeploymentHandoff (INVOLVE_RUNNER=deployments): runs nothing itself; when there is work it asks
  the Prefect server for a run of that flow's deployment (prefect.yaml), unless one is already
  waiting to start; Prefect workers pick the runs up, and Prefect runs the scheduled ones.
"""
from __future__ import annotations

import asyncio
import logging
import threading
import time
from collections.abc import Callable
from datetime import datetime

from flows.registry import BY_NAME, REGISTRY, Flow, with_work
from involve import clock

log = logging.getLogger("involve.runner")


class EmbeddedRunner:
    def __init__(self, *, poll: float = 1.0) -> None:
        self.poll = poll
        self._thread: threading.Thread | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._event: asyncio.Event | None = None
        self._stopping = threading.Event()
        self._next_run: dict[str, datetime] = {}   # scheduled flows: when each runs next
        self.ready = threading.Event()
        self.cycles = 0
        self.runs: dict[str, int] = {}             # flow name -> runs started by this runner

    def start(self) -> EmbeddedRunner:
        self._thread = threading.Thread(target=self._run, name="involve-runner", daemon=True)
        self._thread.start()
        return self

    def wake(self) -> None:
        loop = self._loop
        if loop and self._event and not loop.is_closed():
            try:
                loop.call_soon_threadsafe(self._event.set)
            except RuntimeError:  # the loop closed meanwhile: the runner has already stopped
                pass

    def stop(self, timeout: float = 60.0) -> None:
        self._stopping.set()
        self.wake()
        if self._thread:
            self._thread.join(timeout)

    def _run(self) -> None:
        asyncio.run(self._main())

    async def _main(self) -> None:
        self._loop = asyncio.get_running_loop()
        self._event = asyncio.Event()
        while not self._stopping.is_set():
            self._event.clear()
            try:
                await self.cycle(first=self.cycles == 0)
            except Exception:  # noqa: BLE001 - the runner must outlive one bad cycle; the DB keeps the work
                log.exception("runner cycle failed; will retry")
            self.cycles += 1
            self.ready.set()
            if self._stopping.is_set():
                break
            try:
                await asyncio.wait_for(self._event.wait(), timeout=self.poll)
            except TimeoutError:
                pass

    async def due(self, flow: Flow, now: datetime, *, first: bool = False) -> bool:
        """Should `flow` run in this cycle? When its work check counts something, or its cron time has
        come (the first cycle only schedules: a flow due at 08:00 is not run by a start at 09:00)."""
        if flow.work and ((first and flow.name == "process-claims")  # the first run starts the Prefect API
                          or await asyncio.to_thread(flow.work_waiting())):
            return True
        if flow.cron:
            when = self._next_run.get(flow.name)
            if when is None or now >= when:
                self._next_run[flow.name] = await flow.next_run_async(now)
                return when is not None
        return False

    async def cycle(self, *, first: bool = False) -> None:
        """Run, in registry order, every flow that has work waiting or whose schedule has come."""
        now = clock.now()
        for flow in REGISTRY:
            if await self.due(flow, now, first=first):
                self.runs[flow.name] = self.runs.get(flow.name, 0) + 1
                await flow.load()(**flow.embedded)

    def next_runs(self) -> dict[str, datetime]:
        """Scheduled flows: when this runner runs each next."""
        return dict(self._next_run)


class DeploymentHandoff:
    """Receive-only mode (INVOLVE_RUNNER=deployments): serve runs no flow. When the database holds
    work for a deployment it asks the Prefect server (PREFECT_API_URL) for a run of it; Prefect
    workers (`make worker`) do the work.

    Debounced: a run is created only when that deployment has none waiting for a worker (Scheduled
    or Late), and fewer runs starting (that, or Pending for less than `pending_grace` seconds: a run
    left Pending by a dead worker must not block hand-offs for ever) than the work needs: one per
    `share` of it (flows/registry.py; one in all when a flow has no share). A starting run reads the
    database when it starts, so it sees every claim committed before the check: a burst of 300
    claims makes a handful of runs, not 300; a backlog of 2,000 emails keeps one run waiting for
    each worker slot that frees, so every worker takes part (docs/performance.md, issue 17 part 5).
    Woken on each accepted claim or action, it also polls every `poll` seconds, so the emails a
    finished process-claims run queued (or the CLI queued) go to deliver-outbox within a second or
    two. The deployments' minute sweeps catch whatever is missed while the server is unreachable.
    """

    PROCESS_CLAIMS = BY_NAME["process-claims"].deployment
    DELIVER_OUTBOX = BY_NAME["deliver-outbox"].deployment
    DEPLOYMENTS = tuple(f.deployment for f in with_work())  # the scheduled ones Prefect runs on its own

    def __init__(self, *, poll: float = 1.0, min_interval: float = 0.5, pending_grace: float = 20.0) -> None:
        self.poll, self.min_interval, self.pending_grace = poll, min_interval, pending_grace
        self._pending = threading.Event()
        self._stopping = threading.Event()
        self._thread: threading.Thread | None = None
        self._ids: dict[str, object] = {}
        self._last_error: dict[str, float] = {}
        self.ready = threading.Event()
        self.cycles = 0
        self.created: dict[str, int] = {}
        self.skipped: dict[str, int] = {}

    def start(self) -> DeploymentHandoff:
        self._thread = threading.Thread(target=self._run, name="involve-handoff", daemon=True)
        self._thread.start()
        self.ready.set()
        return self

    def wake(self) -> None:
        self._pending.set()

    def stop(self, timeout: float = 10.0) -> None:
        self._stopping.set()
        self._pending.set()
        if self._thread:
            self._thread.join(timeout)

    def work(self) -> dict[str, Callable[[], int]]:
        """Deployment name -> its work check, from the registry (flows/registry.py)."""
        return {f.deployment: f.work_waiting() for f in with_work()}

    def runs_wanted(self, name: str, work: int) -> int:
        """How many runs of deployment `name` may be starting at once for `work` items waiting."""
        share = next((f.share for f in with_work() if f.deployment == name), None)
        return max(1, -(-work // share)) if share else 1

    def _run(self) -> None:
        from prefect.client.orchestration import get_client

        while not self._stopping.is_set():
            try:
                with get_client(sync_client=True) as client:
                    while not self._stopping.is_set():
                        self._pending.wait(timeout=self.poll)
                        if self._stopping.is_set():
                            break
                        self._pending.clear()
                        self.cycle(client)
                        self.cycles += 1
                        self._stopping.wait(self.min_interval)  # a burst of wakes becomes one cycle
            except Exception as exc:  # noqa: BLE001 - the hand-off thread must outlive a broken client
                self._log_error("(client)", exc)
                self._stopping.wait(5)

    def cycle(self, client) -> None:
        """One pass: for each deployment with work and no run waiting, create a run."""
        for name, count in self.work().items():
            try:
                work = count()
                if not work:
                    continue
                deployment_id = self._deployment_id(client, name)
                waiting, starting = self._runs_starting(client, deployment_id)
                if waiting or starting >= self.runs_wanted(name, work):
                    self.skipped[name] = self.skipped.get(name, 0) + 1
                    continue
                run = client.create_flow_run_from_deployment(deployment_id, tags=["handoff"])
                self.created[name] = self.created.get(name, 0) + 1
                log.info("handed off to %s: flow run %s", name, run.name)
            except Exception as exc:  # noqa: BLE001 - the work stays in the database; the sweeps pick it up
                self._ids.pop(name, None)
                self._log_error(name, exc)

    def _deployment_id(self, client, name: str):
        if name not in self._ids:
            self._ids[name] = client.read_deployment_by_name(name).id
        return self._ids[name]

    def _runs_starting(self, client, deployment_id) -> tuple[int, int]:
        """(runs waiting for a worker, runs not yet reading the database: those, and runs Pending
        for less than `pending_grace` seconds)."""
        from datetime import UTC, datetime, timedelta

        from prefect.client.schemas.filters import (
            FlowRunFilter,
            FlowRunFilterDeploymentId,
            FlowRunFilterExpectedStartTime,
            FlowRunFilterState,
            FlowRunFilterStateType,
        )
        from prefect.client.schemas.objects import StateType
        from prefect.client.schemas.sorting import FlowRunSort

        now = datetime.now(UTC)
        waiting = FlowRunFilterStateType(any_=[StateType.SCHEDULED, StateType.PENDING])
        runs = client.read_flow_runs(
            flow_run_filter=FlowRunFilter(
                deployment_id=FlowRunFilterDeploymentId(any_=[deployment_id]),
                state=FlowRunFilterState(type=waiting),
                expected_start_time=FlowRunFilterExpectedStartTime(before_=now + timedelta(seconds=5))),
            sort=FlowRunSort.EXPECTED_START_TIME_DESC, limit=50)
        waiting = starting = 0
        for run in runs:
            if run.state is None:
                continue
            if run.state.type == StateType.SCHEDULED:
                waiting += 1
                starting += 1
            elif run.state.timestamp and run.state.timestamp > now - timedelta(seconds=self.pending_grace):
                starting += 1
        return waiting, starting

    def _log_error(self, name: str, exc: Exception) -> None:
        """One line per deployment a minute at most: an unreachable server must not flood the log."""
        if time.monotonic() - self._last_error.get(name, -1e9) < 60:
            return
        self._last_error[name] = time.monotonic()
        hint = " (run `make deploy`?)" if type(exc).__name__ == "ObjectNotFound" else ""
        log.warning("could not hand off to deployment %s%s: %s: %s", name, hint, type(exc).__name__, exc)
