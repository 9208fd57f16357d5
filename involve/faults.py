"""Crash points for the reliability tests: `point(name)` kills this process (SIGKILL) when
INVOLVE_FAULTPOINTS names it, so a test can crash `involve serve` or the CLI at an exact step
(just before or just after a commit) and check that nothing is lost or done twice.

Without INVOLVE_FAULTPOINTS (the normal case) `point` does nothing. The variable is read from
the environment directly, never from `.env`, so it cannot be switched on by accident.
"""

from __future__ import annotations

import os
import signal
import sys


def armed() -> set[str]:
    return {p.strip() for p in os.environ.get("INVOLVE_FAULTPOINTS", "").split(",") if p.strip()}


def point(name: str) -> None:
    if name not in armed():
        return
    sys.stderr.write(f"faultpoint {name}: killing process {os.getpid()}\n")
    sys.stderr.flush()
    child = os.getpgrp() == os.getppid() and "1" in (os.environ.get("INVOLVE_RUNNER_CHILD"),
                                                      os.environ.get("INVOLVE_INTAKE_WRITER_CHILD"))
    if os.getpgrp() == os.getpid() or child:  # `involve serve` (a group leader) or its runner or intake writer child:
        os.killpg(os.getpgrp(), signal.SIGKILL)      # the whole service dies, as when it was one process
    os.kill(os.getpid(), signal.SIGKILL)
