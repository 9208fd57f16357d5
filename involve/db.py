"""Engine, sessions and the unit of work.

`unit_of_work()` yields a Session inside one transaction that commits only when the block ends
without an exception, and rolls back otherwise. On SQLite every write transaction starts with
BEGIN IMMEDIATE, so two processes (serve and the CLI) queue for the write lock instead of
failing half-way; WAL lets readers carry on meanwhile.
"""
from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import Engine, create_engine, event, text
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, sessionmaker

from involve.settings import settings

_lock = threading.Lock()
_engines: dict[str, Engine] = {}


def _sqlite_engine(url: str) -> Engine:
    u = make_url(url)
    if u.database and u.database != ":memory:":
        Path(u.database).parent.mkdir(parents=True, exist_ok=True)
    engine = create_engine(url, connect_args={"timeout": 30, "check_same_thread": False},
                           pool_size=8, max_overflow=16)

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn, _record):
        dbapi_conn.isolation_level = None  # we issue BEGIN ourselves
        cur = dbapi_conn.cursor()
        cur.execute("PRAGMA journal_mode=WAL")
        cur.execute("PRAGMA synchronous=NORMAL")
        cur.execute("PRAGMA foreign_keys=ON")
        cur.execute("PRAGMA busy_timeout=30000")
        cur.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn):
        mode = conn.get_execution_options().get("sqlite_begin", "IMMEDIATE")
        conn.exec_driver_sql(f"BEGIN {mode}")

    return engine


def get_engine(url: str | None = None) -> Engine:
    url = url or settings.database_url
    with _lock:
        engine = _engines.get(url)
        if engine is None:
            if url.startswith("sqlite"):
                engine = _sqlite_engine(url)
            else:
                engine = create_engine(url, pool_size=10, max_overflow=20, pool_pre_ping=True)
            _engines[url] = engine
        return engine


def dispose_engines() -> None:
    with _lock:
        for engine in _engines.values():
            engine.dispose()
        _engines.clear()


@contextmanager
def unit_of_work(url: str | None = None) -> Iterator[Session]:
    """A write transaction: commit on success, roll back on any exception."""
    session = Session(get_engine(url), expire_on_commit=False, autoflush=True)
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


def ping(url: str | None = None) -> bool:
    try:
        with reader(url) as s:
            s.execute(text("SELECT 1"))
        return True
    except Exception:  # noqa: BLE001 - any failure means "not answering"
        return False


SessionFactory = sessionmaker
