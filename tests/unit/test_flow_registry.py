"""The flow registry (flows/registry.py) is the one place that says which flow runs when:
prefect.yaml must say the same, and the embedded runner must run each scheduled flow at the same
times as the deployments (Europe/London), once each, when the clock moves."""
from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import yaml

from flows.registry import BY_NAME, REGISTRY, Flow
from involve import clock
from involve.runner import DeploymentHandoff, EmbeddedRunner
from involve.settings import PROJECT_ROOT

LONDON = ZoneInfo("Europe/London")


def deployments() -> dict[str, dict]:
    data = yaml.safe_load((PROJECT_ROOT / "prefect.yaml").read_text())
    return {d["name"]: d for d in data["deployments"]}


def test_prefect_yaml_and_the_registry_agree():
    yaml_deps = deployments()
    assert set(yaml_deps) == set(BY_NAME)
    for f in REGISTRY:
        d = yaml_deps[f.name]
        assert d["entrypoint"] == f.entrypoint, f.name
        assert d["description"] == f.description, f.name
        assert tuple(d["tags"]) == f.tags, f.name
        assert d.get("parameters", {}) == f.parameters, f.name
        (schedule,) = d["schedules"]
        if f.cron:
            assert (schedule["cron"], schedule["timezone"]) == (f.cron, f.timezone), f.name
        else:
            assert schedule["interval"] == f.interval and "cron" not in schedule, f.name
        limit = d.get("concurrency_limit")
        assert (limit["limit"] if limit else None) == f.concurrency_limit, f.name
        if limit:
            assert limit["collision_strategy"] == "CANCEL_NEW", f.name


def test_every_entrypoint_is_a_prefect_flow_named_like_its_deployment():
    for f in REGISTRY:
        assert f.load().name == f.name


def test_the_hand_off_feeds_every_flow_that_has_a_work_check():
    h = DeploymentHandoff()
    assert set(h.work()) == {f.deployment for f in REGISTRY if f.work}
    assert all(callable(check) for check in h.work().values())


@pytest.fixture
def fake_flows(monkeypatch):
    """Every flow replaced by a recorder; no work waiting. Returns the list of runs, in order."""
    class Runs(list):
        passed: list[tuple[str, dict]]

    ran: Runs = Runs()

    def load(self: Flow):
        async def run(**params):
            ran.append((self.name, clock.now()))
            passed.append((self.name, params))
        return run

    passed: list[tuple[str, dict]] = []
    ran.passed = passed  # type: ignore[attr-defined]

    monkeypatch.setattr(Flow, "load", load)
    monkeypatch.setattr(Flow, "work_waiting", lambda self: (lambda: 0))
    monkeypatch.setattr(clock, "OFFSET", timedelta(0))
    return ran


def at(runner: EmbeddedRunner, local: str, *, first: bool = False) -> None:
    """Move the clock to `local` (Europe/London wall time) and run one cycle."""
    when = datetime.fromisoformat(local).replace(tzinfo=LONDON)
    clock.OFFSET = when - datetime.now(UTC)
    asyncio.run(runner.cycle(first=first))


def test_the_embedded_runner_runs_each_scheduled_flow_at_its_time_once(fake_flows):
    runner = EmbeddedRunner()
    at(runner, "2026-11-30T07:59:00", first=True)          # schedules, runs nothing scheduled
    assert [name for name, _ in fake_flows] == ["process-claims"]  # the first cycle warms the Prefect API
    fake_flows.clear()
    at(runner, "2026-11-30T07:59:50")
    assert fake_flows == []
    for _ in range(3):                                      # several cycles after 08:00: one run
        at(runner, "2026-11-30T08:00:05")
    assert [name for name, _ in fake_flows] == ["approval-reminders"]
    at(runner, "2026-12-01T01:59:00")
    at(runner, "2026-12-01T02:00:30")
    at(runner, "2026-12-01T02:01:00")
    at(runner, "2026-12-01T07:00:10")
    at(runner, "2026-12-01T08:00:10")
    at(runner, "2026-12-01T08:30:00")
    assert [name for name, _ in fake_flows] == ["approval-reminders", "audit-anchor", "retention", "forum-report",
                                               "approval-reminders"]
    nxt = runner.next_runs()
    assert nxt["retention"].astimezone(LONDON).isoformat() == "2027-01-01T02:00:00+00:00"
    assert nxt["approval-reminders"].astimezone(LONDON).isoformat() == "2026-12-02T08:00:00+00:00"


def test_schedules_follow_london_time_across_the_clock_change(fake_flows):
    runner = EmbeddedRunner()
    at(runner, "2027-03-27T12:00:00", first=True)          # British Summer Time starts 28 March 2027
    at(runner, "2027-03-28T08:00:05")                       # 08:00 BST = 07:00 UTC
    at(runner, "2027-03-29T08:00:05")
    runs = [(name, when.astimezone(UTC).hour) for name, when in fake_flows if name == "approval-reminders"]
    assert runs == [("approval-reminders", 7), ("approval-reminders", 7)]


def test_a_start_after_the_time_does_not_run_the_missed_one(fake_flows):
    runner = EmbeddedRunner()
    at(runner, "2026-11-30T09:00:00", first=True)
    at(runner, "2026-11-30T09:00:30")
    assert "approval-reminders" not in [name for name, _ in fake_flows]


def test_work_waiting_runs_the_flow_every_cycle(fake_flows, monkeypatch):
    monkeypatch.setattr(Flow, "work_waiting", lambda self: (lambda: 3 if self.name == "deliver-outbox" else 0))
    runner = EmbeddedRunner()
    at(runner, "2026-11-30T10:00:00")
    at(runner, "2026-11-30T10:00:01")
    assert [name for name, _ in fake_flows] == ["deliver-outbox", "deliver-outbox"]


def test_the_embedded_runner_passes_its_own_parameters(fake_flows, monkeypatch):
    """One flow at a time in the embedded runner: deliver-outbox there gives way to waiting claims
    (flows/outbox.py); a worker's run, from the deployment, does not."""
    monkeypatch.setattr(Flow, "work_waiting", lambda self: (lambda: 1 if self.name in ("process-claims",
                                                                                       "deliver-outbox") else 0))
    asyncio.run(EmbeddedRunner().cycle())
    assert fake_flows.passed == [("process-claims", {}), ("deliver-outbox", {"give_way_to_claims": True})]
    assert "give_way_to_claims" not in deployments()["deliver-outbox"].get("parameters", {})
