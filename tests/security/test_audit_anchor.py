"""Issue 18, item 2: the audit chain against a key and signed heads kept outside the database.

A rewrite that recomputes every later hash used to pass `audit verify`; now it is named, and a
database restored to an earlier state is found against the signed heads in the anchor file."""
from __future__ import annotations

import json

from sqlalchemy import select, update
from typer.testing import CliRunner

from involve import audit
from involve.db import reader, unit_of_work
from involve.services.people import add_staff
from models import AuditHead, AuditRecord, OutboxEmail


def _cli(*args: str):
    from involve.cli.main import app

    return CliRunner().invoke(app, list(args))


def _changes(n: int, start: int = 0) -> None:
    for i in range(start, start + n):
        with unit_of_work() as s:
            add_staff(s, email=f"staff{i}@example.nhs.uk", name=f"Staff {i}", roles=["coordinator"])


def _rewrite(seq: int, reason: str = "rewritten") -> None:
    """Edit record `seq` and recompute its hash, every later hash and the head, as someone with
    write access to the database (but not the audit key) would."""
    with unit_of_work() as s:
        records = list(s.execute(select(AuditRecord).where(AuditRecord.seq >= seq).order_by(AuditRecord.seq))
                       .scalars())
        prev = records[0].prev_hash
        for r in records:
            if r.seq == seq:
                r.reason = reason
            r.prev_hash = prev
            r.hash = audit.record_hash(r.seq, r.at, r, prev)
            prev = r.hash
        s.execute(update(AuditHead).where(AuditHead.id == 1).values(hash=prev))


def test_rewrite_with_recomputed_hashes_is_named_by_verify(db):
    _changes(6)
    assert _cli("audit", "verify").exit_code == 0
    _rewrite(3)
    r = _cli("audit", "verify", "--json")
    assert r.exit_code == 1
    data = json.loads(r.stdout)
    assert data["bad_seq"] == 3 and "record 3 was rewritten" in data["problem"]


def test_rewrite_after_anchor_is_named_against_the_anchor_file(db, tmp_path):
    _changes(6)
    anchors = tmp_path / "anchors.jsonl"
    r = _cli("audit", "anchor", "--out", str(anchors))
    assert r.exit_code == 0, r.output
    assert str(anchors) in r.stdout
    line = json.loads(anchors.read_text().splitlines()[0])
    assert (line["seq"], len(line["signature"]) > 40) == (6, True)
    _changes(2, start=10)
    assert _cli("audit", "anchor", "--out", str(anchors)).exit_code == 0
    assert len(anchors.read_text().splitlines()) == 2
    ok = _cli("audit", "verify", "--anchor", str(anchors), "--json")
    assert ok.exit_code == 0 and json.loads(ok.stdout)["anchors"] == 2
    _rewrite(4)
    r = _cli("audit", "verify", "--anchor", str(anchors))
    assert r.exit_code == 1
    assert "record 4" in r.output


def test_rewrite_without_seals_is_still_placed_by_the_signed_heads(db, tmp_path):
    """Seals stripped as well as hashes recomputed: the signed heads still find it."""
    _changes(5)
    anchors = tmp_path / "anchors.jsonl"
    assert _cli("audit", "anchor", "--out", str(anchors)).exit_code == 0
    _rewrite(2)
    with unit_of_work() as s:
        s.execute(update(AuditRecord).values(seal=None))
    r = _cli("audit", "verify", "--anchor", str(anchors), "--json")
    assert r.exit_code == 1
    assert json.loads(r.stdout)["bad_seq"] == 1  # the anchor says records were sealed from 1


def test_database_restored_to_an_earlier_state_is_found(db, tmp_path):
    _changes(4)
    with reader() as s:
        backup = [(r.seq, r.hash) for r in s.execute(select(AuditRecord)).scalars()]
    _changes(3, start=10)
    anchors = tmp_path / "anchors.jsonl"
    assert _cli("audit", "anchor", "--out", str(anchors)).exit_code == 0
    with unit_of_work() as s:  # "restore" the backup taken at record 4
        s.execute(AuditRecord.__table__.delete().where(AuditRecord.seq > 4))
        s.execute(update(AuditHead).where(AuditHead.id == 1).values(seq=4, hash=backup[-1][1]))
    assert _cli("audit", "verify").exit_code == 0  # the database alone looks intact
    r = _cli("audit", "verify", "--anchor", str(anchors), "--json")
    assert r.exit_code == 1
    data = json.loads(r.stdout)
    assert data["bad_seq"] == 5 and "restored" in data["problem"]


def test_edited_anchor_line_fails_with_one_clear_line(db, tmp_path):
    _changes(3)
    anchors = tmp_path / "anchors.jsonl"
    assert _cli("audit", "anchor", "--out", str(anchors)).exit_code == 0
    line = json.loads(anchors.read_text())
    line["seq"] = 2  # a forged, shorter head
    anchors.write_text(json.dumps(line) + "\n")
    r = _cli("audit", "verify", "--anchor", str(anchors))
    assert r.exit_code == 1
    assert "line 1: the signature does not match INVOLVE_AUDIT_KEY" in r.output


def test_anchor_refuses_to_sign_a_broken_chain(db, tmp_path):
    _changes(3)
    with unit_of_work() as s:
        s.execute(update(AuditRecord).where(AuditRecord.seq == 2).values(reason="edited"))
    anchors = tmp_path / "anchors.jsonl"
    r = _cli("audit", "anchor", "--out", str(anchors))
    assert r.exit_code == 2 and "not signing" in r.output
    assert not anchors.exists()


def test_audit_key_is_not_in_the_database_and_lives_under_home(db, tmp_path):
    _changes(1)
    key = (tmp_path / "var" / "audit-key").read_text().strip()
    assert (tmp_path / "var" / "audit-key").stat().st_mode & 0o077 == 0
    with reader() as s:
        dumped = json.dumps([list(r) for r in s.execute(select(AuditRecord.__table__)).all()], default=str)
    assert key not in dumped


def test_daily_anchor_flow_emails_the_signed_head(db, monkeypatch, tmp_path):
    import asyncio

    from flows.audit import audit_anchor
    from involve import settings as settings_module
    from tasks.audit import sign_chain_head

    monkeypatch.setenv("INVOLVE_AUDIT_EMAIL", "auditor@example.nhs.uk")
    settings_module.reset_settings()
    _changes(2)
    assert audit_anchor.name == "audit-anchor"
    result = asyncio.run(sign_chain_head.fn())  # the flow's one step, without starting a Prefect API
    assert result == {"seq": 2, "file": str(tmp_path / "var" / "audit-anchors.jsonl"), "emailed": True}
    written = (tmp_path / "var" / "audit-anchors.jsonl").read_text().splitlines()
    with reader() as s:
        mail = s.execute(select(OutboxEmail).where(OutboxEmail.template == "audit_anchor")).scalar_one()
    assert mail.to_addr == "auditor@example.nhs.uk" and mail.context["line"] == written[-1]
    from involve.mail.render import render

    subject, text, _ = render("audit_anchor", mail.context)
    assert "AUDIT-2" in subject and written[-1] in text
