"""The Action Plan through the CLI: the shipped plan loads whole, list/show/update, and a plan file
with a duplicate action id is refused with nothing written (SQLite and PostgreSQL)."""

from __future__ import annotations

import json
import tomllib
from pathlib import Path

from sqlalchemy import text
from typer.testing import CliRunner

from involve.cli.main import app
from involve.db import get_engine, unit_of_work
from involve.services.people import add_staff

PLAN = Path(__file__).resolve().parents[2] / "involve" / "data" / "action-plan.toml"
KEYS = {"id", "work_area", "action", "outcome", "lead", "timescale", "status", "updates"}
runner = CliRunner()
BY = "ppi@example.nhs.uk"


def run(*args: str):
    return runner.invoke(app, list(args))


def _staff() -> None:
    with unit_of_work() as s:
        add_staff(s, email=BY, name="PPI Lead", roles=["ppi_lead"])
        add_staff(s, email="fin@example.nhs.uk", name="Fin", roles=["finance"])


def _audit_count() -> int:
    with get_engine().connect() as c:
        return c.execute(text("SELECT COUNT(*) FROM audit_records WHERE entity = 'plan'")).scalar_one()


def test_the_shipped_plan_loads_and_lists_every_action(db):
    _staff()
    want = tomllib.loads(PLAN.read_text())["actions"]
    r = run("plan", "load", str(PLAN), "--by", BY)
    assert r.exit_code == 0, r.output
    r = run("plan", "list", "--json")
    assert r.exit_code == 0, r.output
    got = json.loads(r.stdout)
    assert len(got) == len(want) and len(want) >= 10
    assert [a["id"] for a in got] == [a["id"] for a in want]
    for g, w in zip(got, want, strict=True):
        assert KEYS <= set(g)
        assert (g["work_area"], g["action"], g["outcome"]) == (w["work_area"], w["action"], w["outcome"])
        assert g["status"] == "not_started" and g["updates"] == []
        assert g["evidence_kinds"] == w.get("evidence_kinds", [])
    assert any("User forums in every major service" in a["action"] for a in got)
    # loading again changes nothing and keeps progress
    r = run("plan", "update", "5.1", "--status", "on_track", "--note", "Two forums meet monthly", "--by", BY)
    assert r.exit_code == 0, r.output
    assert run("plan", "load", str(PLAN), "--by", BY).exit_code == 0
    r = run("plan", "show", "5.1", "--json")
    shown = json.loads(r.stdout)
    assert shown["status"] == "on_track" and [u["note"] for u in shown["updates"]] == ["Two forums meet monthly"]
    assert shown["updates"][0]["status"] == "on_track" and shown["updates"][0]["by"] == BY


def test_plan_refusals_change_nothing(db, tmp_path):
    _staff()
    bad = tmp_path / "dup.toml"
    bad.write_text('[[actions]]\nid = "1"\nwork_area = "A"\naction = "x"\n'
                   '[[actions]]\nid = "2"\nwork_area = "A"\naction = "y"\n'
                   '[[actions]]\nid = "1"\nwork_area = "B"\naction = "z"\n')
    before = _audit_count()
    r = run("plan", "load", str(bad), "--by", BY)
    assert r.exit_code == 2 and "'1'" in r.stderr and "twice" in r.stderr
    assert len(r.stderr.strip().splitlines()) == 1
    assert json.loads(run("plan", "list", "--json").stdout) == [] and _audit_count() == before
    r = run("plan", "load", str(PLAN), "--by", "fin@example.nhs.uk")
    assert r.exit_code == 2 and "ppi_lead" in r.stderr
    assert run("plan", "load", str(PLAN), "--by", BY).exit_code == 0
    for args, word in ((("--status", "finished", "--note", "x"), "finished"),
                       (("--status", "done", "--note", " "), "note")):
        r = run("plan", "update", "1.1", *args, "--by", BY)
        assert r.exit_code == 2 and word in r.stderr
    r = run("plan", "update", "9.9", "--status", "done", "--note", "x", "--by", BY)
    assert r.exit_code == 2 and "9.9" in r.stderr
    assert json.loads(run("plan", "show", "1.1", "--json").stdout)["updates"] == []
