"""Group commit at intake: one writer thread stores whatever deliveries have queued in one transaction."""
from __future__ import annotations

import asyncio
import queue
import threading

from involve.services.intake import Incoming, IntakeResult, accept_claims


class GroupCommitter:
    """A writer thread that stores deliveries through `accept_claims`, taking whatever has queued
    while the previous transaction ran: one request alone is stored at once (no added wait); under
    load, one transaction, one audit-head update and one commit serve many requests. Every caller
    still gets its answer only after its own claim is committed."""

    def __init__(self, max_batch: int = 200, store_batch=accept_claims) -> None:
        """`store_batch`: `accept_claims`, or the same run in intake's writer process
        (`involve.intake_writer.IntakeWriterProcess.store`)."""
        self.max_batch, self.store_batch = max_batch, store_batch
        self._queue: queue.SimpleQueue = queue.SimpleQueue()
        self._thread: threading.Thread | None = None
        self._start_lock = threading.Lock()

    async def store(self, item: Incoming) -> IntakeResult:
        """Store `item` (raises what `accept_claim` raises); returns once it is committed."""
        loop = asyncio.get_running_loop()
        fut = loop.create_future()
        if self._thread is None:
            with self._start_lock:
                if self._thread is None:
                    self._thread = threading.Thread(target=self._run, name="involve-intake", daemon=True)
                    self._thread.start()
        self._queue.put((item, loop, fut))
        return await fut

    def _run(self) -> None:
        while True:
            batch = [self._queue.get()]
            while len(batch) < self.max_batch:
                try:
                    batch.append(self._queue.get_nowait())
                except queue.Empty:
                    break
            try:
                results: list = self.store_batch([item for item, _, _ in batch])
            except BaseException as exc:  # noqa: BLE001 - each caller gets the failure (503)
                results = [exc] * len(batch)
            by_loop: dict = {}
            for (_, loop, fut), result in zip(batch, results, strict=True):
                by_loop.setdefault(loop, []).append((fut, result))
            for loop, answers in by_loop.items():  # one wake-up of each event loop per batch
                try:
                    loop.call_soon_threadsafe(_answer, answers)
                except RuntimeError:  # that loop has closed: nobody is waiting any more
                    pass


def _answer(answers: list) -> None:
    for fut, result in answers:
        if fut.done():  # the caller went away
            continue
        if isinstance(result, BaseException):
            fut.set_exception(result)
        else:
            fut.set_result(result)
