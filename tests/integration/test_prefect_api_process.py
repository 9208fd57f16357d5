"""The embedded default's Prefect API child (involve/runner_process.py, involve/prefect_api.py) serves a
socket that serve bound once: another process cannot take its port, and a child started again after
a kill answers at the same address (the runner's PREFECT_API_URL stays right)."""
from __future__ import annotations

import errno
import os
import signal
import socket
import threading

import httpx
import pytest

from involve.runner_process import PrefectApiProcess, wait_for_api


@pytest.fixture
def api(tmp_path, monkeypatch):
    monkeypatch.setenv("PREFECT_HOME", str(tmp_path / "prefect"))
    monkeypatch.setenv("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
    proc = PrefectApiProcess(first_delay=0.1).start()
    yield proc
    proc.stop(timeout=10)


def test_the_api_keeps_its_address_across_a_restart_and_its_port_cannot_be_taken(api):
    with socket.socket() as other, pytest.raises(OSError) as taken:
        other.bind(("127.0.0.1", api.port))  # held by serve from the start, before any child listens
    assert taken.value.errno == errno.EADDRINUSE

    assert api.ready.wait(180), "the Prefect API did not answer within 180 s"
    url, first = api.url, api.pid
    assert httpx.get(url + "/health", timeout=10).status_code == 200

    os.kill(first, signal.SIGKILL)
    assert wait_for_api(url, threading.Event(), timeout=180)  # the same URL answers again
    assert api.pid != first and api.starts == 2
    assert api.ready.wait(10)
