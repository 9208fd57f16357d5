"""Scenario 5: SIGKILL under load and at each step; Jepsen-style accounting afterwards."""

from __future__ import annotations

from tests.reliability import scenarios


def test_sigkill_under_load_loses_nothing_and_duplicates_nothing(server):
    scenarios.crash_under_load(server, claims=150, rounds=1)


def test_sigkill_at_each_step(server, rsink):
    result = scenarios.crash_steps(server, rsink, full=False)
    assert result.duplicated == 0


def test_sigterm_stops_cleanly_without_losing_accepted_work(server):
    tag = "term"
    items = scenarios.items_for(tag + server.canary.health_word[-4:], 60)
    import threading

    ledger = scenarios.Ledger()
    t = threading.Thread(target=scenarios.post_all, args=(server, items, 8, ledger))
    t.start()
    scenarios.wait_until(
        lambda: ledger.count(lambda a: a.status == 202) >= 10, 60, what="some claims accepted"
    )
    code = server.stop()
    t.join(120)
    assert code == 0, f"involve serve exited {code} on SIGTERM:\n{server.log_tail()}"
    assert "Traceback" not in (server.workdir / "serve.log").read_text().split("stopped by SIGTERM")[-1]
    server.start()
    retry = [it for it in items if it[1] not in ledger.acked()]
    scenarios.post_all(server, retry, 8, ledger)
    prefix = items[0][1].rsplit("-", 1)[0]
    acc = scenarios.account(ledger, server, prefix)
    assert not acc.lost and not acc.duplicated and acc.stored == len(items), str(acc)
