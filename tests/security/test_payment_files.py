"""Issue 18, item 5: payment-run files (full bank details) are owner-only from their first byte and are
deleted by the retention job after INVOLVE_PAYMENT_RUN_FILE_DAYS."""
from __future__ import annotations

import json
import os
import time

from sqlalchemy import select
from typer.testing import CliRunner

from involve import settings as settings_module
from involve.db import reader
from involve.services import claims, processing
from models import AuditRecord
from tests.integration.test_lifecycle import COORD, FIN, LEAD, setup_people, submit


def _cli(*args: str):
    from involve.cli.main import app

    return CliRunner().invoke(app, list(args))


def test_payment_run_file_is_never_readable_by_others(db, example_claim, monkeypatch, tmp_path):
    """Every file the payment run creates is created owner-only (mode given to open(2), whatever the
    umask), not made private after the bank details are in it."""
    setup_people()
    ref = submit(example_claim).reference
    processing.process_batch()
    claims.approve(ref, by=LEAD)
    folder = tmp_path / "var" / "payment-runs"
    created = []
    real_open = os.open

    def spy(path, flags, mode=0o777, *args, **kwargs):
        if flags & os.O_CREAT and str(path).startswith(str(folder)):
            created.append(mode)
        return real_open(path, flags, mode, *args, **kwargs)

    monkeypatch.setattr(os, "open", spy)
    old_umask = os.umask(0)  # the most permissive umask a service could run with
    try:
        r = _cli("payments", "run", "--by", FIN, "--include-bank-details", "--json")
    finally:
        os.umask(old_umask)
    assert r.exit_code == 0, r.output
    path = json.loads(r.stdout)["file"]
    assert path.startswith(str(folder))  # under INVOLVE_HOME by default
    assert created and all(mode & 0o077 == 0 for mode in created), [oct(m) for m in created]
    assert os.stat(path).st_mode & 0o777 == 0o600


def test_retention_deletes_payment_run_files_after_their_period(db, monkeypatch, tmp_path):
    monkeypatch.setenv("INVOLVE_PAYMENT_RUN_FILE_DAYS", "30")
    settings_module.reset_settings()
    setup_people()
    folder = tmp_path / "var" / "payment-runs"
    folder.mkdir(parents=True)
    old, recent, other = (folder / "payment-run-00003-20260101.csv", folder / "payment-run-00009-20261120.csv",
                          folder / "notes.txt")
    for p in (old, recent, other):
        p.write_text("reference,account_number\nCLM-1,12345678\n")
    month_ago = time.time() - 31 * 86400
    for p in (old, other):
        os.utime(p, (month_ago, month_ago))
    r = _cli("retention", "run", "--by", COORD, "--dry-run", "--json")
    assert json.loads(r.stdout)["payment_run_files"] == 1 and old.exists()
    r = _cli("retention", "run", "--by", COORD, "--json")
    assert r.exit_code == 0, r.output
    assert json.loads(r.stdout)["payment_run_files"] == 1
    assert not old.exists() and recent.exists() and other.exists()
    with reader() as s:
        rec = s.execute(select(AuditRecord).where(AuditRecord.action == "delete_file")).scalar_one()
    assert (rec.reference, rec.actor) == ("RUN-3", COORD)
