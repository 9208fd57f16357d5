"""Scenario 12 (key rotation) and 13 (retention), through the services and the CLI, on SQLite and
PostgreSQL."""

from __future__ import annotations

import base64
import csv
import json
import uuid
from datetime import date, timedelta

from typer.testing import CliRunner

from involve import settings as settings_module
from tests.reliability.support import Canary, claim

COORD, LEAD, FIN, FIN2 = (
    "coord@example.nhs.uk",
    "lead.rel@example.nhs.uk",
    "fin@example.nhs.uk",
    "fin2@example.nhs.uk",
)


def _staff():
    from involve.db import unit_of_work
    from involve.services.people import add_staff

    with unit_of_work() as s:
        add_staff(s, email=COORD, name="Co-ordinator", roles=["coordinator"])
        add_staff(s, email=LEAD, name="Lead", roles=["lead"])
        add_staff(s, email=FIN, name="Finance", roles=["finance"])
        add_staff(s, email=FIN2, name="Finance 2", roles=["finance"])


def _submit(c: dict) -> str:
    from involve.services.intake import accept_claim

    return accept_claim(payload=c, delivery_id=uuid.uuid4().hex, digest=uuid.uuid4().hex).reference


def _cli(*args: str):
    from involve.cli.main import app

    r = CliRunner().invoke(app, list(args))
    return r


def test_key_rotation(db, monkeypatch):
    from sqlalchemy import select

    from involve import crypto
    from involve.db import reader
    from models import AuditRecord, Claim

    _staff()
    k = Canary.make()
    refs = [_submit(claim(i, tag="rot", canary=k)) for i in range(3)]
    old = settings_module.settings.resolved_data_keys[0]
    new = base64.urlsafe_b64encode(uuid.uuid4().bytes * 2).decode()
    monkeypatch.setenv("INVOLVE_DATA_KEY", f"{new},{old}")
    settings_module.reset_settings()
    r = _cli("keys", "rotate", "--by", FIN, "--json")
    assert r.exit_code == 0, r.output
    assert json.loads(r.stdout)["values"] >= 3
    assert _cli("keys", "rotate", "--by", LEAD).exit_code == 2  # not finance: refused
    monkeypatch.setenv("INVOLVE_DATA_KEY", new)  # the old key is gone
    settings_module.reset_settings()
    with reader() as s:
        rows = list(
            s.execute(select(Claim.reference, Claim.bank_details_encrypted).where(Claim.reference.in_(refs)))
        )
        rotated = s.execute(select(AuditRecord).where(AuditRecord.action == "rotate")).scalars().all()
    assert [crypto.decrypt_json(t)["account_number"] for _, t in rows] == [k.account_number] * 3
    assert len(rotated) == 1 and rotated[0].actor == FIN and old not in json.dumps(rotated[0].data)
    monkeypatch.setenv("INVOLVE_DATA_KEY", old)  # and the old key alone no longer decrypts
    settings_module.reset_settings()
    from involve.errors import SettingsError

    try:
        crypto.decrypt_json(rows[0][1])
    except SettingsError:
        pass
    else:
        raise AssertionError("the old key still decrypts after rotation")


def _report(url: str, year: int, out) -> list[tuple]:
    from involve.reports.annual import annual_report

    files = annual_report(year, out, url=url, pdf=False)
    with open(files.csv) as fh:
        return [tuple(r.values()) for r in csv.DictReader(fh) if r["section"] != "audit"]


def test_retention_anonymises_and_report_figures_stay(db, tmp_path):
    from sqlalchemy import select

    from involve import audit
    from involve.db import reader, unit_of_work
    from involve.services import claims, processing, retention
    from involve.services.people import add_person
    from models import AuditRecord, Claim, ExpenseLine, Person

    _staff()
    with unit_of_work() as s:
        add_person(
            s, email="sam@example.org", name="Sam Register", borough="havering", ethnic_group="black_african"
        )
    k = Canary.make()
    old_day = date(2026, 3, 10)  # financial year 2025
    refs_old, refs_new = [], []
    for i in range(8):
        c = claim(i, tag="ret", canary=k, days_ago=(date.today() - old_day).days if i < 5 else 3)
        if i in (0, 5):
            c["claimant"]["email"] = "sam@example.org"
        (refs_old if i < 5 else refs_new).append(_submit(c))
    processing.process_batch()
    for ref in refs_old[:3] + refs_new[:2]:
        claims.approve(ref, by=LEAD)
    for ref in refs_old[:2] + refs_new[:1]:
        claims.pay(ref, by=FIN)
    claims.reject(refs_old[4], by=LEAD, reason="Sam was not at this meeting")
    before = {y: _report(db, y, tmp_path / f"before{y}") for y in (2025, 2026)}
    submitted = {y: [r[3] for r in before[y] if r[1] == "claims_submitted" and not r[2]] for y in before}
    assert submitted == {2025: ["5"], 2026: ["3"]}, submitted  # the reports count these claims

    r = _cli("retention", "run", "--by", COORD, "--as-of", "2033-06-01", "--dry-run", "--json")
    assert r.exit_code == 0, r.output
    assert json.loads(r.stdout)["claims"] == 5
    r = _cli("retention", "run", "--by", COORD, "--as-of", "2033-06-01", "--json")
    assert r.exit_code == 0, r.output
    assert (json.loads(r.stdout)["claims"], json.loads(r.stdout)["people"]) == (5, 1)
    assert retention.run(by=COORD, as_of=date(2033, 6, 1)).claims == 0  # idempotent

    after = {y: _report(db, y, tmp_path / f"after{y}") for y in (2025, 2026)}
    for y in (2025, 2026):
        diff = set(before[y]) ^ set(after[y])
        assert not diff, f"report {y} changed: {sorted(diff)[:10]}"
    with reader() as s:
        rows = {c.reference: c for c in s.execute(select(Claim)).scalars()}
        lines = s.execute(select(ExpenseLine.claim_id, ExpenseLine.description)).all()
        person = s.execute(select(Person)).scalar_one()
        anonymise = s.execute(select(AuditRecord).where(AuditRecord.action == "anonymise")).scalars().all()
        chain = audit.verify(s)
    for ref in refs_old:
        c = rows[ref]
        assert c.anonymised_at and c.bank_details_encrypted is None and c.bank_details_masked is None
        assert c.claimant_name == "Anonymised" and c.claimant_email.endswith("@anonymised.invalid")
        assert c.rejection_reason in (None, retention.REMOVED)
    for ref in refs_new:
        assert rows[ref].anonymised_at is None and rows[ref].bank_details_encrypted is not None
    old_ids = {rows[r].id for r in refs_old}
    assert all(d is None for cid, d in lines if cid in old_ids)
    assert any(d and k.health_word in d for cid, d in lines if cid not in old_ids)
    assert person.name == "Anonymised" and person.email == f"person-{person.id}@anonymised.invalid"
    assert rows[refs_new[0]].claimant_email == person.email  # still joined to the register entry
    assert len(anonymise) == 6 and chain.ok
    assert date.today() - timedelta(days=3) >= date(2026, 4, 1)
