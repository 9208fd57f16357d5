"""The embedded default's child processes: `involve serve` (INVOLVE_RUNNER=embedded) starts them,
restarts either if it dies and stops them, so the web app and the flows no longer share one GIL.

- `PrefectApiProcess`: the flows' Prefect API (the same server Prefect's ephemeral mode starts, on a
  loopback socket serve binds once and hands to each child: involve/prefect_api.py), started first
  thing so it boots while serve starts; the runner's PREFECT_API_URL points at it, and `ready` is
  set once it answers (serve's /health waits for it). Unless PREFECT_API_URL is already set (then
  that API is used and nothing waits).
- `MailSinkProcess`: the embedded mail sink (when no INVOLVE_SMTP_URL is set), on a socket bound once.
- `RunnerProcess`: `python -m involve.runner_process`, the same `EmbeddedRunner` as before
  (flows/registry.py decides what runs), with serve's environment. `wake()` writes one byte to the
  child's stdin (non-blocking: a full pipe already means "wake"); the child then runs a cycle at
  once instead of at its next poll.
- Both: a watcher thread restarts a child that dies (after 1 s, doubling up to 30 s while it keeps
  dying at once); `stop()` sends SIGTERM (the runner finishes its current cycle) and kills after
  `timeout`. The children stay in serve's process group, so a signal to the group reaches all.
- The runner child stops after its current cycle on SIGTERM/SIGINT or at the end of its stdin;
  both children get SIGTERM when serve dies, even by kill -9 (Linux: PR_SET_PDEATHSIG).

Nothing is lost when any of them is killed: every claim, email and state is in the database, and
the next runner picks up whatever is left.
"""
from __future__ import annotations

import logging
import os
import signal
import socket
import subprocess
import sys
import threading
import time

log = logging.getLogger("involve.runner")
RUNNER_CHILD = "INVOLVE_RUNNER_CHILD"  # set in the runner child's environment (involve/faults.py)


def _prctl():
    try:
        import ctypes

        return ctypes.CDLL(None, use_errno=True).prctl
    except (OSError, AttributeError):
        return None


_PRCTL = _prctl() if sys.platform == "linux" else None  # looked up here: nothing is imported after fork
_PR_SET_PDEATHSIG, _SIGTERM = 1, int(signal.SIGTERM)


def _die_with_parent() -> None:
    """In the child before exec (Linux): SIGTERM when serve dies, even by kill -9, so no orphan is left."""
    _PRCTL(_PR_SET_PDEATHSIG, _SIGTERM)


def child_options() -> dict:
    return {"preexec_fn": _die_with_parent} if _PRCTL is not None else {}


class Supervised:
    """One child process, restarted when it dies until `stop()`."""

    name = "child"

    def __init__(self, *, first_delay: float = 1.0, max_delay: float = 30.0) -> None:
        self.first_delay, self.max_delay = first_delay, max_delay
        self.starts = 0
        self._proc: subprocess.Popen | None = None
        self._stopping = threading.Event()
        self._lock = threading.Lock()

    @property
    def pid(self) -> int | None:
        return self._proc.pid if self._proc else None

    def popen(self) -> subprocess.Popen:
        raise NotImplementedError

    def start(self):
        self._spawn()
        threading.Thread(target=self._watch, name=f"involve-watch-{self.name}", daemon=True).start()
        return self

    def _spawn(self) -> None:
        with self._lock:
            if self._stopping.is_set():
                return
            self._proc = self.popen()
        self.starts += 1

    def _watch(self) -> None:
        delay = self.first_delay
        while not self._stopping.is_set():
            proc, started = self._proc, time.monotonic()
            code = proc.wait()
            if self._stopping.is_set():
                return
            self.died()
            delay = self.first_delay if time.monotonic() - started > 60 else min(delay * 2, self.max_delay)
            log.warning("the %s process (pid %s) exited with %s; starting a new one in %.0f s",
                        self.name, proc.pid, code, delay)
            if self._stopping.wait(delay):
                return
            self._spawn()

    def died(self) -> None:
        """Called when the child died unexpectedly, before it is started again."""

    def stop(self, timeout: float = 60.0) -> None:
        with self._lock:
            self._stopping.set()
            proc = self._proc
        if proc is None or proc.poll() is not None:
            return
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout)
        except subprocess.TimeoutExpired:
            log.warning("the %s process did not stop within %.0f s; killing it", self.name, timeout)
            proc.kill()
            proc.wait(10)


class ListeningChild(Supervised):
    """A child that serves a loopback socket bound here once and handed down as a file descriptor:
    every child (a restart too) serves the same socket, so its address never changes, no other
    process can take the port in between, and connections wait in the backlog while it restarts."""

    def __init__(self, **kw) -> None:
        super().__init__(**kw)
        self._socket = socket.socket()
        self._socket.bind(("127.0.0.1", 0))
        self._socket.listen(128)
        self._socket.set_inheritable(True)
        self.port = self._socket.getsockname()[1]

    def spawn_serving(self, module: str, *args: str, **popen) -> subprocess.Popen:
        """`python -m module FD *args` with the socket's descriptor passed down."""
        fd = self._socket.fileno()
        return subprocess.Popen([sys.executable, "-m", module, str(fd), *args], stdin=subprocess.DEVNULL,
                                pass_fds=(fd,), **popen, **child_options())

    def stop(self, timeout: float = 60.0) -> None:
        super().stop(timeout)
        self._socket.close()


class PrefectApiProcess(ListeningChild):
    """The Prefect API for the embedded runner, as Prefect's ephemeral mode runs it (involve/prefect_api.py)."""

    name = "Prefect API"
    app = "prefect.server.api.server:create_app"

    def __init__(self, **kw) -> None:
        super().__init__(**kw)
        self.ready = threading.Event()  # the API answers /health (cleared while a new one starts)

    def _spawn(self) -> None:
        super()._spawn()
        threading.Thread(target=self._until_ready, name="involve-api-ready", daemon=True).start()

    def _until_ready(self) -> None:
        if wait_for_api(self.url, self._stopping):
            self.ready.set()

    def died(self) -> None:
        self.ready.clear()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/api"

    def popen(self) -> subprocess.Popen:
        env = {**os.environ, "PREFECT_UI_ENABLED": "0", "PREFECT__SERVER_EPHEMERAL": "1",
               "PREFECT__SERVER_FINAL": "1"}
        env.pop("PREFECT_API_URL", None)
        return self.spawn_serving("involve.prefect_api", self.app, env=env)


class MailSinkProcess(ListeningChild):
    """The embedded mail sink (no INVOLVE_SMTP_URL): `python -m involve.mail.sink_process`, storing mail
    in a Maildir (a restarted child answers at the same URL; the runner's emails wait in the backlog
    meanwhile). Out of the web process, so the runner's emails no longer cost the web app's GIL."""

    name = "mail sink"

    def __init__(self, directory, **kw) -> None:
        from pathlib import Path

        super().__init__(**kw)
        self.directory = Path(directory)
        for sub in ("tmp", "new", "cur"):  # here, so /health sees a writable Maildir at once
            (self.directory / sub).mkdir(parents=True, exist_ok=True)

    @property
    def url(self) -> str:
        return f"smtp://127.0.0.1:{self.port}"

    def popen(self) -> subprocess.Popen:
        return self.spawn_serving("involve.mail.sink_process", str(self.directory))

    def stop(self, timeout: float = 10.0) -> None:
        super().stop(timeout)


class RunnerProcess(Supervised):
    name = "runner"

    def popen(self) -> subprocess.Popen:
        proc = subprocess.Popen([sys.executable, "-m", "involve.runner_process"], stdin=subprocess.PIPE,
                                env={**os.environ, RUNNER_CHILD: "1"}, **child_options())
        os.set_blocking(proc.stdin.fileno(), False)
        return proc

    def wake(self) -> None:
        proc = self._proc
        if proc is None or proc.stdin is None:
            return
        try:
            os.write(proc.stdin.fileno(), b"w")
        except (BlockingIOError, BrokenPipeError, ValueError, OSError):
            pass  # a full pipe wakes it anyway; a dead child is restarted by the watcher


def wait_for_api(url: str | None, stopping: threading.Event, timeout: float = 600.0) -> bool:
    """Wait until the Prefect API at `url` answers /health (a cycle against an API still starting only
    fails); True when it does."""
    if not url:
        return False
    import httpx

    end = time.monotonic() + timeout
    while time.monotonic() < end and not stopping.is_set():
        try:
            if httpx.get(url.rstrip("/") + "/health", timeout=2).status_code == 200:
                return True
        except httpx.HTTPError:
            pass
        stopping.wait(0.1)
    return False


def main() -> None:
    """The child: the embedded runner until SIGTERM/SIGINT or the end of stdin (serve is gone)."""
    from involve.serve import quiet_logging

    quiet_logging()
    stopping = threading.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: stopping.set())

    def woken() -> None:
        while (got := os.read(0, 4096)) and not stopping.is_set():
            if runner is not None:
                runner.wake()
        if not got:
            log.info("serve has gone: stopping the runner after its current cycle")
        stopping.set()

    runner = None
    threading.Thread(target=woken, name="involve-runner-wake", daemon=True).start()
    from flows.registry import REGISTRY
    from involve.runner import EmbeddedRunner
    from involve.serve import stop_ephemeral_servers, track_ephemeral_servers

    track_ephemeral_servers()

    for flow in REGISTRY:  # import Prefect and every flow while the API starts
        flow.load()

    wait_for_api(os.environ.get("PREFECT_API_URL"), stopping)
    if stopping.is_set():
        return
    runner = EmbeddedRunner().start()
    while not stopping.wait(1.0):
        pass
    runner.stop()
    stop_ephemeral_servers()


if __name__ == "__main__":
    main()
