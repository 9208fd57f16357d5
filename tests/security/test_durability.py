"""Issue 18, item 4: durability stated and tested. An acknowledged commit is synced to disk
(SQLite synchronous=FULL), and /health answers 503 when what the service accepts could not be kept."""
from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import text

from involve import settings as settings_module


def _sqlite_only(url: str) -> None:
    if not url.startswith("sqlite"):
        pytest.skip("SQLite's synchronous setting and file modes")


def test_sqlite_commit_is_synced_before_it_returns(db):
    _sqlite_only(db)
    from involve.db import get_engine, unit_of_work

    with get_engine().connect() as c:
        assert c.execute(text("PRAGMA synchronous")).scalar_one() == 2  # FULL (NORMAL is 1)
    with unit_of_work() as s:  # the writer connections (the ones behind a 2xx) too
        assert s.execute(text("PRAGMA synchronous")).scalar_one() == 2


def test_health_is_503_when_the_database_does_not_take_writes(db, monkeypatch):
    _sqlite_only(db)
    from involve.db import dispose_engines
    from involve.web.app import create_app

    with TestClient(create_app()) as c:
        assert c.get("/health").status_code == 200
    path = db.removeprefix("sqlite:///")
    dispose_engines()
    monkeypatch.setenv("INVOLVE_DATABASE_URL", f"sqlite:///file:{path}?mode=ro&uri=true")
    settings_module.reset_settings()
    try:
        with TestClient(create_app()) as c:
            r = c.get("/health")
        assert r.status_code == 503
        assert r.json() == {"status": "unavailable", "reason": "the database does not answer or does not take writes"}
        assert r.headers["retry-after"] == "30"
    finally:
        dispose_engines()


def test_health_is_503_when_the_mail_folder_is_not_writable(db, tmp_path):
    from involve.web.app import create_app

    good, bad = tmp_path / "mail-ok", tmp_path / "mail-bad"
    (good / "tmp").mkdir(parents=True)
    bad.mkdir()
    (bad / "tmp").write_text("not a folder")  # as unwritable as it gets when the tests run as root
    with TestClient(create_app(mail_dir=good)) as c:
        assert c.get("/health").status_code == 200
    with TestClient(create_app(mail_dir=bad)) as c:
        r = c.get("/health")
    assert r.status_code == 503 and r.json()["reason"] == "the mail folder is not writable"
