"""Issue 18, smaller item: a Prefect ephemeral API subprocess whose start timed out is not left running
after `serve` stops (Prefect raises, forgets it, and the next flow starts another)."""
from __future__ import annotations

import subprocess
import sys

import pytest
from typer.testing import CliRunner


def test_a_timed_out_prefect_subprocess_is_stopped_with_serve(db, monkeypatch):
    from prefect.server.api.server import SubprocessASGIServer

    import involve.runner
    import involve.serve

    def never_answers(self):  # a Prefect API that does not come up in time
        return subprocess.Popen([sys.executable, "-c", "import time; time.sleep(120)"])

    monkeypatch.setattr(SubprocessASGIServer, "_run_uvicorn_command", never_answers)
    monkeypatch.setattr(SubprocessASGIServer, "_involve_started", None, raising=False)  # undone after
    monkeypatch.setattr(involve.runner.EmbeddedRunner, "start", lambda self: self)
    monkeypatch.setattr(involve.runner.EmbeddedRunner, "stop", lambda self, timeout=0: None)
    left = []

    def serving(*args, **kwargs):  # while serving, a flow's first call starts the ephemeral API
        server = SubprocessASGIServer(port=None)
        with pytest.raises(RuntimeError, match="Timed out"):
            server.start(timeout=1)
        left.append(server.server_process)

    monkeypatch.setattr(involve.serve.uvicorn, "run", serving)
    from involve.cli.main import app

    try:
        r = CliRunner().invoke(app, ["serve", "--port", "0"])
        assert r.exit_code == 0, r.output
        assert len(left) == 1
        assert left[0].poll() is not None  # stopped when serve stopped
    finally:
        for proc in left:
            if proc.poll() is None:
                proc.kill()
        monkeypatch.undo()
