"""The intake yardstick: a bare FastAPI endpoint that commits one SQLite row per request.

Same SQLite settings as the project (WAL, synchronous=NORMAL, BEGIN IMMEDIATE), same threadpool
hop, no signature, no validation, no audit: what one committed insert per request costs here.
Writers share one connection behind a lock (the simplest correct way; connections contending for
SQLite's write lock sleep in its busy handler and lose throughput).
"""
from __future__ import annotations

import sqlite3
import threading
from datetime import UTC, datetime

from fastapi import FastAPI, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse

_lock = threading.Lock()
_conns: dict[str, sqlite3.Connection] = {}


def _conn(path: str) -> sqlite3.Connection:
    conn = _conns.get(path)
    if conn is None:
        conn = sqlite3.connect(path, timeout=30, isolation_level=None, check_same_thread=False)
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute("PRAGMA synchronous=NORMAL")
        conn.execute("PRAGMA busy_timeout=30000")
        _conns[path] = conn
    return conn


def create_app(path: str) -> FastAPI:
    with sqlite3.connect(path) as c:
        c.execute("PRAGMA journal_mode=WAL")
        c.execute("CREATE TABLE IF NOT EXISTS rows (id INTEGER PRIMARY KEY, delivery_id TEXT UNIQUE, "
                  "body BLOB, received_at TEXT)")
    app = FastAPI()

    def insert(delivery_id: str, body: bytes) -> int:
        with _lock:
            conn = _conn(path)
            conn.execute("BEGIN IMMEDIATE")
            try:
                cur = conn.execute("INSERT INTO rows (delivery_id, body, received_at) VALUES (?, ?, ?)",
                                   (delivery_id, body, datetime.now(UTC).isoformat()))
                conn.execute("COMMIT")
            except BaseException:
                conn.execute("ROLLBACK")
                raise
            return cur.lastrowid

    @app.post("/webhooks/claims", status_code=202)
    async def claims(request: Request) -> JSONResponse:
        body = await request.body()
        row = await run_in_threadpool(insert, request.headers.get("webhook-id", ""), body)
        return JSONResponse({"reference": f"ROW-{row}", "status": "submitted"}, status_code=202)

    @app.get("/health")
    async def health() -> JSONResponse:
        return JSONResponse({"status": "ok"})

    return app
