"""Intake's writer in a process of its own (INVOLVE_INTAKE_WRITER=process, the default).

The web app's group commit (involve/services/group_commit.py) hands each batch of deliveries to
`accept_claims` (involve/services/intake.py: validation, encryption, inserts, audit, commit). In
one process that work and the web app's event loop share one GIL, and intake took what one core
gives (docs/performance.md, issue 17). Here the batch goes over a socket to a child process that
runs `accept_claims` and sends the results back, so parsing requests and storing claims run on
two cores. Every caller is still answered only after the commit that holds its claim.

- The child is `python -m involve.intake_writer FD`, started by the web app at start-up (its
  lifespan: involve/web/app.py) with the web app's environment, so it uses the same settings and
  database. One batch at a time: the committer thread sends the batch's `Incoming`s (each pickled
  alone) and waits for the list of results (pickled, as `multiprocessing` does).
- If the child dies or does not answer within `answer_within()` (the SQLite busy timeout and a
  margin), that batch's callers get `IntakeUnavailable` (503 and Retry-After: "send it again");
  a claim the child had committed before it died is then answered 200 with its reference when it
  is sent again (the delivery id makes intake idempotent), and nothing is stored twice. The next
  batch starts a new child.
- The child exits at the end of its socket: when the web app stops it, or dies (even by kill -9).

INVOLVE_INTAKE_WRITER=thread stores in a thread of the web process instead (the tests that run
the app in their own process use it: a child would not see what they change in-process).
"""
from __future__ import annotations

import logging
import os
import pickle
import socket
import subprocess
import sys
import threading
from multiprocessing.connection import Connection

from involve.errors import IntakeUnavailable, InvalidClaim

log = logging.getLogger("involve.intake")
WRITER_CHILD = "INVOLVE_INTAKE_WRITER_CHILD"  # set in the child's environment (involve/faults.py)
ANSWER_MARGIN = 60.0  # seconds beyond the SQLite busy timeout a batch may take before the child is given up


def answer_within() -> float:
    from involve.settings import settings

    return float(settings.sqlite_busy_timeout_seconds) + ANSWER_MARGIN


class IntakeWriterProcess:
    """The child that stores intake's batches; `store(items)` is `accept_claims(items)` run there.
    Called from one thread at a time (the group committer's); `start()` and `stop()` from the app's."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._proc: subprocess.Popen | None = None
        self._conn: Connection | None = None

    @property
    def pid(self) -> int | None:
        return self._proc.pid if self._proc else None

    def start(self) -> IntakeWriterProcess:
        with self._lock:
            if self._proc is None or self._proc.poll() is not None:
                self._spawn()
        return self

    def _spawn(self) -> None:
        # no PR_SET_PDEATHSIG (involve/runner_process.py): it fires when the *thread* that started the
        # child ends (a thread pool's may); the child ends at the end of its socket instead
        if self._conn is not None:
            self._conn.close()
        mine, theirs = socket.socketpair()
        try:
            env = {**os.environ, WRITER_CHILD: "1"}
            self._proc = subprocess.Popen([sys.executable, "-m", "involve.intake_writer", str(theirs.fileno())],
                                          stdin=subprocess.DEVNULL, pass_fds=(theirs.fileno(),), env=env)
        except BaseException:
            mine.close()
            raise
        finally:
            theirs.close()
        self._conn = Connection(mine.detach())

    def store(self, items: list) -> list:
        """The results of `accept_claims(items)`, computed in the child; raises IntakeUnavailable when
        the child cannot answer (it is then stopped, and the next call starts a new one). Each item is
        pickled alone: a body that parsed but nests too deeply to pickle is answered 422 by itself and
        never fails the others in its batch."""
        out: list = [None] * len(items)
        blobs, where = [], []
        for n, item in enumerate(items):
            try:
                blobs.append(pickle.dumps(item, pickle.HIGHEST_PROTOCOL))
                where.append(n)
            except RecursionError:
                out[n] = InvalidClaim([{"field": "body", "message": "nests too deeply to be a claim"}])
        if blobs:
            for n, result in zip(where, self._exchange(blobs), strict=True):
                out[n] = result
        return out

    def _exchange(self, blobs: list[bytes]) -> list:
        with self._lock:
            if self._proc is None or self._proc.poll() is not None:
                if self._proc is not None:
                    log.warning("the intake writer process (pid %s) had exited with %s; starting a new one",
                                self._proc.pid, self._proc.returncode)
                self._spawn()
            conn, proc = self._conn, self._proc
        try:
            conn.send(blobs)
            if not conn.poll(answer_within()):
                raise TimeoutError("no answer")
            reply = conn.recv()
        except (OSError, EOFError, TimeoutError, pickle.UnpicklingError) as exc:
            log.warning("the intake writer process (pid %s) did not answer (%s); its batch of %d is answered "
                        "503 and a new one starts with the next", proc.pid, type(exc).__name__, len(blobs))
            self._discard(conn, proc)
            raise IntakeUnavailable("The claim could not be stored. Please send it again.") from None
        if isinstance(reply, BaseException):
            raise reply
        return reply

    def _discard(self, conn: Connection, proc: subprocess.Popen) -> None:
        conn.close()
        if proc.poll() is None:
            proc.kill()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            pass

    def stop(self, timeout: float = 30.0) -> None:
        """Close the socket (the child exits after any batch it is storing) and wait for it."""
        with self._lock:
            conn, proc = self._conn, self._proc
            self._conn = self._proc = None
        if conn is not None:
            conn.close()
        if proc is not None:
            try:
                proc.wait(timeout)
            except subprocess.TimeoutExpired:
                log.warning("the intake writer process did not stop within %.0f s; killing it", timeout)
                proc.kill()
                proc.wait(10)


def _sendable(results: list) -> bytes:
    """The results pickled, as the web process will unpickle them (`Connection.recv`): an exception that
    does not survive pickling (a database driver's error holding its connection, say) becomes one that
    does and answers the same status. Pickled once: the bytes checked are the bytes sent."""
    try:
        blob = pickle.dumps(results, pickle.HIGHEST_PROTOCOL)
        pickle.loads(blob)
        return blob
    except Exception:  # noqa: BLE001 - item by item below
        pass
    out = []
    for r in results:
        try:
            pickle.loads(pickle.dumps(r))
            out.append(r)
        except Exception:  # noqa: BLE001
            out.append(_stand_in(r))
    return pickle.dumps(out, pickle.HIGHEST_PROTOCOL)


def _stand_in(exc: BaseException) -> BaseException:
    from sqlalchemy.exc import OperationalError, SQLAlchemyError

    from involve.services.intake import DATABASE_DOWN

    if isinstance(exc, DATABASE_DOWN):  # 503, as in the web process
        return OperationalError(None, None, RuntimeError(type(exc).__name__))
    if isinstance(exc, SQLAlchemyError):
        return SQLAlchemyError(type(exc).__name__)
    return RuntimeError(f"{type(exc).__name__}: {exc}"[:500])


def serve(conn: Connection) -> None:
    """The child's loop: a batch in, its results out, until the web process closes the socket."""
    from involve.services.intake import accept_claims

    while True:
        try:
            blobs = conn.recv()
        except (EOFError, OSError):
            return
        try:
            reply = _sendable(accept_claims([pickle.loads(b) for b in blobs]))
        except BaseException as exc:  # noqa: BLE001 - the whole batch's answer, as in the thread
            reply = pickle.dumps(pickle.loads(_sendable([exc]))[0], pickle.HIGHEST_PROTOCOL)
        try:
            conn.send_bytes(reply)
        except OSError:  # the web process went away
            return


def main() -> None:
    import signal

    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C reaches the whole group: the web app stops us
    signal.signal(signal.SIGTERM, signal.SIG_IGN)  # likewise: we exit at the end of the socket
    serve(Connection(int(sys.argv[1])))


if __name__ == "__main__":
    main()
