"""Reliability fixtures: one Prefect server for the session, and a real SMTP server and a real
`involve serve` (subprocess) using them. Every test here is marked `reliability`."""

from __future__ import annotations

import pytest

from tests.reliability.support import PrefectApi, Server, Sink


def pytest_collection_modifyitems(config, items):
    for item in items:
        if "tests/reliability/" in str(item.fspath).replace("\\", "/"):
            item.add_marker(pytest.mark.reliability)


@pytest.fixture(scope="session")
def prefect_api(tmp_path_factory):
    api = PrefectApi(tmp_path_factory.mktemp("prefect")).start()
    yield api
    api.stop()


@pytest.fixture(scope="session")
def rsink():
    s = Sink().start()
    yield s
    s.stop()


@pytest.fixture(scope="session")
def server(rsink, prefect_api, tmp_path_factory):
    provider = {
        "INVOLVE_TYPEFORM_SECRET": "typeform-reliability-secret",
        "INVOLVE_TALLY_SECRET": "tally-reliability-secret",
    }  # configured adapters answer 401, not 503
    srv = Server(tmp_path_factory.mktemp("rel"), rsink.port, prefect=prefect_api, extra_env=provider).start()
    srv.add_staff()
    yield srv
    srv.stop()
