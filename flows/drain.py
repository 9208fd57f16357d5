"""The one way a batch flow works through a backlog: run batches until one comes back short."""
from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import TypeVar

R = TypeVar("R")


async def drain(batch: Callable[[int], Awaitable[R]], *, batch_size: int, max_batches: int,
                size: Callable[[R], int] = lambda r: r,  # type: ignore[assignment,return-value]
                give_way: Callable[[], Awaitable[bool]] | None = None) -> list[R]:
    """Call `batch(batch_size)` until a batch handles fewer than `batch_size` items (`size(result)`),
    `max_batches` ran, or `give_way()` says other work should go first; returns every batch's result.
    The database is the source of truth, so a backlog left behind is picked up by the next run."""
    results: list[R] = []
    for _ in range(max_batches):
        result = await batch(batch_size)
        results.append(result)
        if size(result) < batch_size or (give_way is not None and await give_way()):
            break
    return results
