"""E2E fixtures: `sink` (a real SMTP server) and `live` (a real `involve serve` subprocess).

`live` is module-scoped: one server per test module (its Prefect start-up is paid once);
tests in a module share its database, so each test uses fresh references and emails.
"""
from __future__ import annotations

import pytest

from tests.e2e.harness import LiveServer, SmtpSink

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def sink():
    s = SmtpSink().start()
    yield s
    s.stop()


@pytest.fixture(scope="module")
def live(sink, tmp_path_factory):
    server = LiveServer(tmp_path_factory.mktemp("live"), sink.port).start()
    yield server
    server.stop()
