"""Shared fixtures.

`db` gives a migrated, empty database and points INVOLVE_DATABASE_URL at it. Tests marked
with the `db` fixture run on SQLite always, and on PostgreSQL too when one is there: the server
INVOLVE_TEST_POSTGRES_URL names, or else one answering where the usual PG* variables say
(default 127.0.0.1:5432, user postgres), found at start-up. Each run makes throwaway databases of
its own and drops them afterwards. INVOLVE_TEST_POSTGRES=off keeps a run to SQLite.

The run ends with one line per group of skipped tests and how to run them.
"""
from __future__ import annotations

import base64
import os
import secrets
import shutil
import tempfile
import uuid
from pathlib import Path

# the ephemeral Prefect API the flow tests start migrates a new database first: on a loaded machine that
# takes longer than Prefect's default 20 s (serve sets the same for itself, involve/serve.py)
os.environ.setdefault("PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS", "120")
if os.environ.get("PYTEST_XDIST_WORKER"):
    # each pytest-xdist worker (make test runs two) gets its own Prefect home, so the ephemeral Prefect
    # APIs the flow tests start never share one SQLite database; set before anything imports prefect
    import atexit

    os.environ["PREFECT_HOME"] = tempfile.mkdtemp(prefix=f"involve-prefect-{os.environ['PYTEST_XDIST_WORKER']}-")
    atexit.register(shutil.rmtree, os.environ["PREFECT_HOME"], True)

import pytest

from involve import settings as settings_module


def _local_postgres() -> str | None:
    """A PostgreSQL server answering on this machine (PGHOST/PGPORT/PGUSER/PGPASSWORD, default
    127.0.0.1:5432 as postgres), as a base URL; None when nothing answers within two seconds."""
    if os.environ.get("INVOLVE_TEST_POSTGRES", "").lower() in ("off", "0", "no"):
        return None
    from sqlalchemy.engine import URL

    url = URL.create("postgresql+psycopg", username=os.environ.get("PGUSER", "postgres"),
                     password=os.environ.get("PGPASSWORD"), host=os.environ.get("PGHOST", "127.0.0.1"),
                     port=int(os.environ.get("PGPORT", "5432")), database="postgres")
    try:
        import psycopg

        with psycopg.connect(url.render_as_string(hide_password=False).replace("+psycopg", ""),
                             connect_timeout=2) as conn:
            conn.execute("SELECT 1")
    except Exception:  # noqa: BLE001 - nothing there (or not allowed in): SQLite only, said at the end
        return None
    return url.render_as_string(hide_password=False)


if not os.environ.get("INVOLVE_TEST_POSTGRES_URL") and (_found := _local_postgres()):
    os.environ["INVOLVE_TEST_POSTGRES_URL"] = _found  # other modules (scale-out, soak) read it too
PG_BASE = os.environ.get("INVOLVE_TEST_POSTGRES_URL")
REQUIRE_PG = os.environ.get("INVOLVE_TEST_REQUIRE_POSTGRES") == "1"
WEBHOOK_SECRET = "whsec_" + base64.b64encode(b"involve-tests-webhook-secret-32b").decode()
DATA_KEY = base64.urlsafe_b64encode(b"involve-tests-data-key-32-bytes!").decode()
ROOT = Path(__file__).resolve().parents[1]


def pytest_report_header(config):
    if PG_BASE:
        from sqlalchemy.engine import make_url

        return f"PostgreSQL tests: on ({make_url(PG_BASE).render_as_string(hide_password=True)})"
    return "PostgreSQL tests: SKIPPED - no PostgreSQL answered (set INVOLVE_TEST_POSTGRES_URL or PG*)"


# skip reasons -> (group, how to run them); the first pattern a reason contains names its group
SKIP_GROUPS = (
    ("once on SQLite is enough", "run once", "nothing to do: these run on the SQLite leg only"),
    ("race needs two PostgreSQL", "PostgreSQL only", "nothing to do: these run on the PostgreSQL leg only"),
    ("SQLite's synchronous", "SQLite only", "nothing to do: these run on the SQLite leg only"),
    ("scale-out needs PostgreSQL", "scale-out", "as for PostgreSQL"),
    ("PostgreSQL:", "PostgreSQL", "start PostgreSQL on 127.0.0.1:5432 (or set PGHOST/PGUSER, or "
                                  "INVOLVE_TEST_POSTGRES_URL=postgresql+psycopg://user@host:5432/postgres)"),
    ("chromium", "browser", "apt-get install chromium (Debian's /usr/bin/chromium)"),
    ("WeasyPrint", "PDF", "install WeasyPrint's system libraries (apt-get install libpango-1.0-0)"),
)


def pytest_sessionfinish(session, exitstatus):
    """Stop the ephemeral Prefect API the flow tests started: Prefect stops it at exit, but a pytest-xdist
    worker ends without running exit handlers, which left the server running after the run."""
    import sys

    if server_module := sys.modules.get("prefect.server.api.server"):
        for server in list(server_module.SubprocessASGIServer._instances.values()):
            server.stop()


def pytest_terminal_summary(terminalreporter, exitstatus, config):
    """One line per group of skipped tests, and how to run them."""
    groups: dict[tuple[str, str], int] = {}
    for report in terminalreporter.stats.get("skipped", []):
        reason = str(report.longrepr[2] if isinstance(report.longrepr, tuple) else report.longrepr)
        group = next(((name, how) for pattern, name, how in SKIP_GROUPS if pattern.lower() in reason.lower()),
                     ("other", reason.removeprefix("Skipped: ")[:100]))
        groups[group] = groups.get(group, 0) + 1
    if groups:
        terminalreporter.section("skipped tests, by group")
        for (name, how), n in sorted(groups.items(), key=lambda kv: -kv[1]):
            terminalreporter.write_line(f"{n:4d} skipped: {name}: {how}")


@pytest.fixture(autouse=True)
def _env(monkeypatch, tmp_path):
    """Every test gets its own var dir and known secrets; nothing leaks between tests."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("INVOLVE_HOME", str(tmp_path))  # generated secrets, mail and files under tmp_path/var
    monkeypatch.delenv("INVOLVE_LINK_KEY", raising=False)
    monkeypatch.delenv("INVOLVE_AUDIT_KEY", raising=False)
    monkeypatch.delenv("INVOLVE_AUDIT_EMAIL", raising=False)
    monkeypatch.setenv("INVOLVE_WEBHOOK_SECRET", WEBHOOK_SECRET)
    monkeypatch.setenv("INVOLVE_DATA_KEY", DATA_KEY)
    monkeypatch.setenv("INVOLVE_BASE_URL", "http://testserver")
    monkeypatch.setenv("INVOLVE_FINANCE_EMAIL", "finance@example.nhs.uk")
    monkeypatch.setenv("INVOLVE_POLICY_FILE", str(ROOT / "involve" / "default-policy.toml"))
    monkeypatch.delenv("INVOLVE_SMTP_URL", raising=False)
    monkeypatch.delenv("INVOLVE_DATABASE_URL", raising=False)
    # an app made in the test's own process stores claims in its thread: a writer process would not see
    # what a test changes in-process (tests/integration/test_intake_writer.py runs the process)
    monkeypatch.setenv("INVOLVE_INTAKE_WRITER", "thread")
    settings_module.reset_settings()
    yield
    settings_module.reset_settings()


def _pg_admin_url(base: str) -> str:
    from sqlalchemy.engine import make_url

    return make_url(base).set(database="postgres").render_as_string(hide_password=False)


@pytest.fixture(scope="session")
def pg_template():
    """A PostgreSQL database for this test run, migrated once; tables are emptied between tests."""
    if not PG_BASE:
        return None
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

    name = f"involve_test_{uuid.uuid4().hex[:10]}"
    admin = create_engine(_pg_admin_url(PG_BASE), isolation_level="AUTOCOMMIT")
    with admin.connect() as c:
        c.execute(text(f'CREATE DATABASE "{name}"'))
    url = make_url(PG_BASE).set(database=name).render_as_string(hide_password=False)
    from involve.migrate import upgrade

    upgrade(url)
    yield url
    from involve.db import dispose_engines

    dispose_engines()
    with admin.connect() as c:
        c.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory):
    path = tmp_path_factory.mktemp("sqlite-template") / "template.db"
    from involve.migrate import upgrade

    upgrade(f"sqlite:///{path}")
    from involve.db import dispose_engines

    dispose_engines()
    return path


def _truncate(url: str) -> None:
    from sqlalchemy import text

    from involve.db import get_engine
    from models import Base

    names = ", ".join(f'"{t.name}"' for t in Base.metadata.sorted_tables)
    with get_engine(url).begin() as c:
        c.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))


@pytest.fixture(params=["sqlite", "postgres"])
def db(request, tmp_path, monkeypatch, sqlite_template):
    """A migrated, empty database (SQLite, and PostgreSQL when configured); returns its URL."""
    from involve.db import dispose_engines

    if request.param == "postgres":
        if not PG_BASE:
            if REQUIRE_PG:
                pytest.fail("INVOLVE_TEST_REQUIRE_POSTGRES=1 but INVOLVE_TEST_POSTGRES_URL is not set")
            pytest.skip("PostgreSQL: INVOLVE_TEST_POSTGRES_URL is not set")
        url = request.getfixturevalue("pg_template")
        _truncate(url)
    else:
        target = tmp_path / "involve.db"
        shutil.copy(sqlite_template, target)
        url = f"sqlite:///{target}"
    monkeypatch.setenv("INVOLVE_DATABASE_URL", url)
    settings_module.reset_settings()
    yield url
    dispose_engines()


@pytest.fixture
def example_claim() -> dict:
    import json

    return json.loads((ROOT / "involve" / "examples" / "claim.json").read_text())


def new_secret() -> str:
    return "whsec_" + base64.b64encode(secrets.token_bytes(32)).decode()
