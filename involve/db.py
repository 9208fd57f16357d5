"""Engine, sessions and the unit of work.

`unit_of_work()` yields a Session inside one transaction that commits only when the block ends
without an exception, and rolls back otherwise. On SQLite every write transaction starts with
BEGIN IMMEDIATE, so two processes (serve and the CLI) queue for the write lock instead of
failing half-way; WAL lets readers carry on meanwhile. SQLite runs with synchronous=FULL: every
commit (the one behind a 2xx included) is on disk before it returns, so a power loss cannot take
back an acknowledged claim (NORMAL only syncs the WAL at checkpoints).
"""
from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager, nullcontext
from pathlib import Path

from sqlalchemy import Engine, create_engine, event, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session

from involve.settings import settings

_lock = threading.Lock()
_engines: dict[str, Engine] = {}
_writers: dict[Engine, _WriterGate] = {}


def _sqlite_engine(url: str) -> Engine:
    u = make_url(url)
    if u.database and u.database != ":memory:":
        Path(u.database).parent.mkdir(parents=True, exist_ok=True)
    busy = float(settings.sqlite_busy_timeout_seconds)
    engine = create_engine(url, connect_args={"timeout": busy, "check_same_thread": False},
                           pool_size=8, max_overflow=16, hide_parameters=True)

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn, _record):
        dbapi_conn.isolation_level = None  # we issue BEGIN ourselves
        cur = dbapi_conn.cursor()
        cur.execute("PRAGMA journal_mode=WAL")
        cur.execute("PRAGMA synchronous=FULL")  # an acknowledged commit survives power loss
        cur.execute("PRAGMA foreign_keys=ON")
        cur.execute(f"PRAGMA busy_timeout={int(busy * 1000)}")
        cur.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn):
        mode = conn.get_execution_options().get("sqlite_begin", "IMMEDIATE")
        if mode == "IMMEDIATE":
            begin_immediate(conn.connection.dbapi_connection, busy)
        else:
            conn.exec_driver_sql(f"BEGIN {mode}")

    _writers[engine] = _WriterGate(busy)
    return engine


WRITE_LOCK_POLL = (0.0002, 0.001)  # seconds: the first pause while another process writes, and the longest
_contended = [0.0]  # time.monotonic() when a BEGIN IMMEDIATE in this process last found the write lock taken


def write_lock_contended(within: float) -> bool:
    """Did a BEGIN IMMEDIATE in this process find SQLite's write lock held by another connection (in
    serve's runner child: the web app's intake) in the last `within` seconds? The runner then yields
    the lock for longer between its chunks (involve/services/processing.py)."""
    import time

    return time.monotonic() - _contended[0] < within


def begin_immediate(raw, timeout: float) -> None:
    """BEGIN IMMEDIATE on a sqlite3 connection, waiting at most `timeout` seconds for the write lock.
    While another process holds it (serve's web app and its runner child are two processes), SQLite's
    own busy handler sleeps 1, 2, 5 … 100 ms between tries, so a lock held 20 ms kept the waiter out
    33 ms and one held 300 ms up to 400 ms; here the wait polls every 0.2 … 1 ms instead (a failed try
    costs microseconds), so the lock is taken within a millisecond of its release. Only BEGIN polls:
    every other statement keeps busy_timeout. After `timeout`: "database is locked", as before."""
    import sqlite3
    import time

    raw.execute("PRAGMA busy_timeout=0")  # two pragmas: microseconds, against a transaction's milliseconds
    try:
        deadline, pause = None, WRITE_LOCK_POLL[0]
        while True:
            try:
                raw.execute("BEGIN IMMEDIATE")
                return
            except sqlite3.OperationalError as exc:
                now = _contended[0] = time.monotonic()
                deadline = deadline or now + timeout
                if not _locked(exc) or now >= deadline:
                    raise OperationalError("BEGIN IMMEDIATE", None, exc) from exc
            time.sleep(pause)
            pause = min(pause * 2, WRITE_LOCK_POLL[1])
    finally:
        raw.execute(f"PRAGMA busy_timeout={int(timeout * 1000)}")


def _locked(exc: Exception) -> bool:
    text = str(exc)
    return "locked" in text or "busy" in text


class _WriterGate:
    """One writer at a time per process on SQLite. Threads that wait for SQLite's write lock sleep in
    its busy handler (1 ms .. 100 ms steps), so under concurrent writes the lock sits idle between
    them; a Python lock hands it over at once. Other processes (the CLI) still queue through
    BEGIN IMMEDIATE and busy_timeout. Waiting longer than busy_timeout fails like a locked database."""

    def __init__(self, timeout: float) -> None:
        self.timeout, self.lock = timeout, threading.RLock()

    @contextmanager
    def __call__(self) -> Iterator[None]:
        if not self.lock.acquire(timeout=self.timeout):
            import sqlite3

            raise OperationalError("BEGIN IMMEDIATE", None, sqlite3.OperationalError("database is locked"))
        try:
            yield
        finally:
            self.lock.release()


def get_engine(url: str | None = None) -> Engine:
    url = url or settings.database_url
    with _lock:
        engine = _engines.get(url)
        if engine is None:
            if url.startswith("sqlite"):
                engine = _sqlite_engine(url)
            else:
                # hide_parameters: errors and logs never carry row values (names, emails, free text)
                engine = create_engine(url, pool_size=10, max_overflow=20, pool_pre_ping=True,
                                       hide_parameters=True)
            _engines[url] = engine
        return engine


def dispose_engines() -> None:
    with _lock:
        for engine in _engines.values():
            engine.dispose()
        _engines.clear()
        _writers.clear()


@contextmanager
def unit_of_work(url: str | None = None) -> Iterator[Session]:
    """A write transaction: commit on success, roll back on any exception."""
    engine = get_engine(url)
    gate = _writers.get(engine)
    with gate() if gate else nullcontext():
        session = Session(engine, expire_on_commit=False, autoflush=True)
        try:
            yield session
            session.commit()
        except BaseException:
            session.rollback()
            raise
        finally:
            session.close()


@contextmanager
def reader(url: str | None = None) -> Iterator[Session]:
    """A read-only session; on SQLite it does not take the write lock."""
    engine = get_engine(url)
    if engine.dialect.name == "sqlite":
        engine = engine.execution_options(sqlite_begin="DEFERRED")
    session = Session(engine, expire_on_commit=False)
    try:
        yield session
    finally:
        session.close()  # ends the transaction; loaded objects stay readable (detached, not expired)


PING_LOCK_WAIT_MS = 3000


def ping(url: str | None = None) -> bool:
    """The database answers and takes writes. On SQLite a write lock held elsewhere for longer than
    PING_LOCK_WAIT_MS (a long backup, a stuck process) makes every claim answer 503, so health says so
    too, instead of 200 while writes fail; and a real (empty) write is committed, so a read-only file
    or a full disk shows too. On PostgreSQL a read-only server (a standby) is not healthy."""
    try:
        engine = get_engine(url)
        if engine.dialect.name != "sqlite":
            with reader(url) as s:
                return s.execute(text("SHOW transaction_read_only")).scalar_one() == "off"
        raw = engine.raw_connection()
        try:
            cur = raw.cursor()
            cur.execute(f"PRAGMA busy_timeout={PING_LOCK_WAIT_MS}")
            try:
                cur.execute("BEGIN IMMEDIATE")
                try:
                    version = int(cur.execute("PRAGMA user_version").fetchone()[0])
                    cur.execute(f"PRAGMA user_version={version}")  # rewrites the header page
                    cur.execute("COMMIT")
                except BaseException:
                    cur.execute("ROLLBACK")
                    raise
            finally:
                cur.execute(f"PRAGMA busy_timeout={int(settings.sqlite_busy_timeout_seconds * 1000)}")
        finally:
            raw.close()
        return True
    except Exception:  # noqa: BLE001 - any failure means "not answering"
        return False

