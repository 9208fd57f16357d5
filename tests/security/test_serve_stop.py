"""Issue 18, smaller item: a Prefect ephemeral API subprocess whose start timed out is not left running
after the runner stops (Prefect raises, forgets it, and the next flow starts another).

Since the flows run in serve's runner child (involve/runner_process.py), that child tracks every
ephemeral API it starts (`track_ephemeral_servers`) and stops them all when it stops
(`stop_ephemeral_servers`); this test drives those two with an API that never answers."""
from __future__ import annotations

import subprocess
import sys

import pytest


def _free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_a_timed_out_prefect_subprocess_is_stopped_with_the_runner(monkeypatch):
    from prefect.server.api.server import SubprocessASGIServer

    from involve.serve import stop_ephemeral_servers, track_ephemeral_servers

    def never_answers(self):  # a Prefect API that does not come up in time
        return subprocess.Popen([sys.executable, "-c", "import time; time.sleep(120)"])

    monkeypatch.setattr(SubprocessASGIServer, "_run_uvicorn_command", never_answers)
    monkeypatch.setattr(SubprocessASGIServer, "_involve_started", None, raising=False)  # undone after
    left = []
    try:
        track_ephemeral_servers()
        server = SubprocessASGIServer(port=_free_port())  # its own instance: Prefect keeps one per port
        with pytest.raises(RuntimeError, match="Timed out"):
            server.start(timeout=1)
        left.append(server.server_process)
        assert left[0] is not None and left[0].poll() is None  # Prefect forgot it, still running
        stop_ephemeral_servers(timeout=5)
        assert left[0].wait(timeout=10) is not None  # stopped when the runner stopped
    finally:
        for proc in left:
            if proc is not None and proc.poll() is None:
                proc.kill()
        monkeypatch.undo()

