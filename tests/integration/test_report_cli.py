"""`involve report annual|forum`, `involve dev generate` and `involve audit export|verify` through
the CLI, on SQLite and PostgreSQL: exit codes, printed paths, one-line refusals, and the audit
chain found broken when a record is edited, deleted, reordered or cut off the end."""

from __future__ import annotations

import json

from sqlalchemy import text
from typer.testing import CliRunner

from involve.cli.main import app
from involve.db import get_engine, unit_of_work
from involve.services.people import add_person, add_staff

runner = CliRunner()


def run(*args: str):
    return runner.invoke(app, list(args))


def test_report_commands(db, tmp_path):
    r = run("dev", "generate", "--claims", "400", "--seed", "3", "--json")
    assert r.exit_code == 0, r.output
    assert json.loads(r.stdout)["claims"] == 400
    r = run("report", "annual", "--year", "2025", "--out", str(tmp_path / "a"), "--no-pdf")
    assert r.exit_code == 0, r.output
    html = r.stdout.strip().splitlines()[-1]
    assert html.endswith("report.html") and (tmp_path / "a" / "report.html").exists()
    assert (tmp_path / "a" / "report.csv").exists() and (tmp_path / "a" / "charts" / "by_month.svg").exists()
    r = run("report", "forum", "--month", "2025-06", "--out", str(tmp_path / "f"), "--no-pdf", "--json")
    assert r.exit_code == 0, r.output
    data = json.loads(r.stdout)
    assert data["html"].endswith("report.html") and data["rows"] > 20


def test_report_refusals_are_one_line_exit_2(db, tmp_path):
    r = run("report", "forum", "--month", "2025-13", "--out", str(tmp_path / "f"))
    assert r.exit_code == 2 and "--month" in r.stderr and len(r.stderr.strip().splitlines()) == 1
    r = run("report", "annual", "--year", "1999", "--out", str(tmp_path / "a"))
    assert r.exit_code == 2 and "--year" in r.stderr


def _some_history() -> None:
    with unit_of_work() as s:
        add_staff(s, email="coord@example.nhs.uk", name="Coord", roles=["coordinator"])
        add_staff(s, email="fin@example.nhs.uk", name="Fin", roles=["finance"])
    for i in range(4):
        with unit_of_work() as s:
            add_person(s, email=f"p{i}@example.org", name=f"Person {i}", borough="havering")


def _sql(statement: str) -> None:
    with get_engine().begin() as conn:
        conn.execute(text(statement))


def test_audit_export_ends_with_the_chain_head(db, tmp_path):
    _some_history()
    out = tmp_path / "audit.jsonl"
    r = run("audit", "export", "--out", str(out))
    assert r.exit_code == 0, r.output
    lines = [json.loads(line) for line in out.read_text().splitlines()]
    with get_engine().connect() as conn:
        seq, head = conn.execute(text("SELECT seq, hash FROM audit_head WHERE id = 1")).one()
    assert lines[-1] == {"chain_head": {"seq": seq, "hash": head}}
    assert [x["seq"] for x in lines[:-1]] == list(range(1, seq + 1))
    assert all(b["prev_hash"] == a["hash"] for a, b in zip(lines[:-2], lines[1:-1], strict=True))
    r = run("audit", "verify", "--json")
    assert r.exit_code == 0 and json.loads(r.stdout)["count"] == seq


def test_audit_verify_names_a_deleted_record(db):
    _some_history()
    _sql("DELETE FROM audit_records WHERE seq = 3")
    r = run("audit", "verify")
    assert r.exit_code == 1 and "record 3" in r.stderr


def test_audit_verify_names_a_reordered_record(db):
    _some_history()
    _sql("UPDATE audit_records SET seq = 100 WHERE seq = 3")
    _sql("UPDATE audit_records SET seq = 3 WHERE seq = 4")
    _sql("UPDATE audit_records SET seq = 4 WHERE seq = 100")
    r = run("audit", "verify")
    assert r.exit_code == 1 and "record 3" in r.stderr


def test_audit_verify_finds_records_cut_off_the_end(db):
    _some_history()
    _sql("DELETE FROM audit_records WHERE seq = (SELECT MAX(seq) FROM audit_records)")
    r = run("audit", "verify", "--json")
    assert r.exit_code == 1
    assert "removed from the end" in json.loads(r.stdout)["problem"]
