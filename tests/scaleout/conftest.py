"""Scale-out tests: a real Prefect server, PostgreSQL and Prefect workers (see test_workers.py)."""
from __future__ import annotations


def pytest_configure(config):
    config.addinivalue_line("markers", "scaleout: a Prefect server, PostgreSQL and several workers (slow)")
