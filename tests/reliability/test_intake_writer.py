"""kill -9 of intake's writer process (involve/intake_writer.py) under load: the web app stays up, the
batch in flight is answered 503, a new writer takes the next, and a sender's retries leave every claim
stored exactly once."""

from __future__ import annotations

import os
import signal
import threading
import time
from pathlib import Path

from tests.reliability import scenarios
from tests.reliability.support import account, items_for, post_all, wait_until


def writer_pids(server_pid: int) -> list[int]:
    """The intake writer children of `involve serve` (a child of whichever thread started it)."""
    out = []
    for task in Path(f"/proc/{server_pid}/task").glob("*"):
        try:
            kids = (task / "children").read_text().split()
        except OSError:
            continue
        for pid in map(int, kids):
            try:
                if b"involve.intake_writer" in Path(f"/proc/{pid}/cmdline").read_bytes():
                    out.append(pid)
            except OSError:
                pass
    return out


def test_kill_intake_writer_under_load_loses_nothing(server):
    first = wait_until(lambda: writer_pids(server.proc.pid), 30, what="the intake writer process")
    assert len(first) == 1, first
    tag = scenarios._tag("wkill")
    items = items_for(tag, 600, canary=server.canary)
    ledger = scenarios.Ledger()
    t = threading.Thread(target=post_all, args=(server, items, 16, ledger))
    t.start()
    wait_until(lambda: ledger.count(lambda a: a.status in (200, 202)) >= 40, 60, interval=0.002,
               what="40 claims accepted")
    os.kill(first[0], signal.SIGKILL)
    at_kill = ledger.count(lambda a: a.status is not None)
    t.join(300)
    assert at_kill < len(items), "every claim was answered before the kill: nothing was tested"
    assert server.proc.poll() is None, f"involve serve died with its intake writer:\n{server.log_tail()}"
    refused = ledger.count(lambda a: a.status == 503)
    # a sender sends again what was not acknowledged (503: "send it again")
    deadline = time.monotonic() + 120
    while (retry := [it for it in items if it[1] not in ledger.acked()]) and time.monotonic() < deadline:
        post_all(server, retry, 8, ledger)
    acc = account(ledger, server, tag)
    assert not acc.lost and not acc.duplicated and not acc.unexpected, str(acc)
    assert acc.stored == len(items), str(acc)
    now = writer_pids(server.proc.pid)
    assert len(now) == 1 and now != first, (first, now)
    assert ledger.count(lambda a: a.status not in (200, 202, 503)) == 0, "only 503 while the writer restarted"
    assert refused == 0 or "did not answer" in (server.workdir / "serve.log").read_text(errors="replace")
