"""Scenarios 1-4 against one real server: signatures, repeated and concurrent deliveries, load."""

from __future__ import annotations

from tests.reliability import scenarios


def test_signature_matrix(server):
    scenarios.signature_matrix(server)


def test_same_delivery_fifty_times_one_claim(server):
    # the soak sends it minutes apart; here a pause of a few seconds stands in for that
    scenarios.same_delivery(server, times=50, gap=0.02, long_gaps={24: 3.0})


def test_same_delivery_twice_at_once_and_other_body(server):
    scenarios.concurrent_same(server, pairs=10)


def test_distinct_and_duplicate_deliveries_concurrently(server):
    scenarios.load(server, distinct=200, duplicates=40, concurrency=32)
