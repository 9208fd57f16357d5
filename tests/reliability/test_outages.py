"""Scenarios 6 and 7: SMTP down for a while, then back; the database unavailable (PostgreSQL
refusing connections, SQLite write-locked by another process past the busy timeout)."""

from __future__ import annotations

import pytest

from tests.conftest import PG_BASE, REQUIRE_PG
from tests.reliability import scenarios


def test_smtp_down_then_back_every_email_delivered(prefect_api, tmp_path):
    result = scenarios.smtp_outage(prefect_api, tmp_path, claims=6, outage=5.0, base=1.0, cap=3.0)
    assert result.lost == 0 and result.leaked == 0


def test_postgres_unavailable_answers_503_never_2xx(prefect_api, tmp_path, rsink):
    if not PG_BASE:
        if REQUIRE_PG:
            pytest.fail("INVOLVE_TEST_REQUIRE_POSTGRES=1 but INVOLVE_TEST_POSTGRES_URL is not set")
        pytest.skip("PostgreSQL: INVOLVE_TEST_POSTGRES_URL is not set")
    scenarios.pg_outage(prefect_api, tmp_path, PG_BASE, rsink, posts=6, outage=3.0)


def test_sqlite_locked_past_busy_timeout_answers_503(prefect_api, tmp_path, rsink):
    scenarios.sqlite_locked(prefect_api, tmp_path, rsink, busy=2.0, hold=3.0)
