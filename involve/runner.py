"""Runners that `involve serve` starts beside the web app.

- EmbeddedRunner (INVOLVE_RUNNER=embedded): a thread with its own event loop that runs the
  flows in-process against the ephemeral Prefect API. It wakes when a claim or an action
  arrives, and otherwise polls the database every `poll` seconds, so work queued by the CLI or
  left by a crash is picked up. Each cycle runs a flow only when there is work for it.
- DeploymentHandoff (INVOLVE_RUNNER=deployments): runs nothing itself; on wake it asks the
  Prefect server for a run of the `process-claims` and `deliver-outbox` deployments, which the
  workers pick up.
"""
from __future__ import annotations

import asyncio
import logging
import threading
import time

log = logging.getLogger("involve.runner")


class EmbeddedRunner:
    def __init__(self, *, poll: float = 1.0, reminder_every: float = 3600.0) -> None:
        self.poll, self.reminder_every = poll, reminder_every
        self._thread: threading.Thread | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._event: asyncio.Event | None = None
        self._stopping = threading.Event()
        self._last_reminders = 0.0
        self.ready = threading.Event()
        self.cycles = 0

    def start(self) -> EmbeddedRunner:
        self._thread = threading.Thread(target=self._run, name="involve-runner", daemon=True)
        self._thread.start()
        return self

    def wake(self) -> None:
        if self._loop and self._event:
            self._loop.call_soon_threadsafe(self._event.set)

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

    async def cycle(self, *, first: bool = False) -> None:
        from flows.claims import process_claims
        from flows.outbox import deliver_outbox
        from flows.reminders import approval_reminders
        from involve.services.delivery import pending_count
        from involve.services.processing import count_submitted

        if first or await asyncio.to_thread(count_submitted):
            await process_claims()  # the first call also starts the ephemeral Prefect API
        if time.monotonic() - self._last_reminders > self.reminder_every:
            self._last_reminders = time.monotonic()
            await approval_reminders()
        for hook in EXTRA_CYCLE_HOOKS:
            await hook()
        if await asyncio.to_thread(pending_count):
            await deliver_outbox()


# Other features (recruitment checks) append async callables run once per cycle.
EXTRA_CYCLE_HOOKS: list = []


class DeploymentHandoff:
    """Receive-only mode: ask the Prefect server to run the deployments; workers do the work."""

    DEPLOYMENTS = ("process-claims/process-claims", "deliver-outbox/deliver-outbox")

    def __init__(self, *, min_interval: float = 0.5) -> None:
        self.min_interval = min_interval
        self._pending = threading.Event()
        self._stopping = threading.Event()
        self._thread: threading.Thread | None = None
        self.ready = threading.Event()

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

    def _run(self) -> None:
        from prefect.deployments import run_deployment

        while not self._stopping.is_set():
            self._pending.wait(timeout=30)
            if self._stopping.is_set():
                break
            self._pending.clear()
            for name in self.DEPLOYMENTS:
                try:
                    run_deployment(name, timeout=0)
                except Exception:  # noqa: BLE001 - scheduled sweeps pick the work up anyway
                    log.exception("could not hand off to deployment %s", name)
            time.sleep(self.min_interval)
