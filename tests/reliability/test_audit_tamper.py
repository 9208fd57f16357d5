"""Scenario 10: an edited, deleted, reordered or cut-off audit record is found and named by
`involve audit verify` (exit 1), on a copy of the live server's database."""

from __future__ import annotations

import sqlite3
import subprocess

import pytest

from tests.e2e.harness import INVOLVE
from tests.reliability.support import claim


def _copy(server, tmp_path, name: str):
    target = tmp_path / f"{name}.db"
    src = sqlite3.connect(server.workdir / "involve.db")
    dst = sqlite3.connect(target)
    src.backup(dst)
    src.close()
    return dst, target


def _verify(server, target) -> subprocess.CompletedProcess:
    env = dict(server.env, INVOLVE_DATABASE_URL=f"sqlite:///{target}")
    return subprocess.run(
        [str(INVOLVE), "audit", "verify"],
        cwd=server.workdir,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def _swap(db, a: int, b: int) -> None:
    db.execute("UPDATE audit_records SET seq = -1 WHERE seq = ?", (a,))
    db.execute("UPDATE audit_records SET seq = ? WHERE seq = ?", (a, b))
    db.execute("UPDATE audit_records SET seq = ? WHERE seq = -1", (b,))


TAMPER = {
    "edited reason": (
        lambda db, k: db.execute("UPDATE audit_records SET reason = 'edited' WHERE seq = ?", (k,)),
        0,
    ),
    "edited actor": (
        lambda db, k: db.execute("UPDATE audit_records SET actor = 'x@example.org' WHERE seq = ?", (k,)),
        0,
    ),
    "edited data": (
        lambda db, k: db.execute('UPDATE audit_records SET data = \'{"total": "1.00"}\' WHERE seq = ?', (k,)),
        0,
    ),
    "deleted": (lambda db, k: db.execute("DELETE FROM audit_records WHERE seq = ?", (k,)), 0),
    "reordered": (lambda db, k: _swap(db, k, k + 1), 0),
    "last record deleted": (
        lambda db, k: db.execute(
            "DELETE FROM audit_records WHERE seq = (SELECT max(seq) FROM audit_records)"
        ),
        None,
    ),
}


@pytest.mark.parametrize("how", list(TAMPER))
def test_audit_verify_names_the_tampered_record(server, tmp_path, how):
    if server.query("SELECT count(*) FROM audit_records")[0][0] < 8:
        # a tag of its own per case: the same submission id, person and time again would be a re-send (200)
        tag = "audit" + "".join(word[:3] for word in how.split())
        assert server.post(claim(0, tag=tag), f"msg_audit_{how}").status_code == 202
    db, target = _copy(server, tmp_path, how.replace(" ", "-"))
    if how == "edited reason":  # the untouched copy verifies (checked once)
        assert _verify(server, target).returncode == 0
    total = db.execute("SELECT max(seq) FROM audit_records").fetchone()[0]
    k = total // 2
    change, _ = TAMPER[how]
    change(db, k)
    db.commit()
    db.close()
    r = _verify(server, target)
    named = total if how == "last record deleted" else k
    assert r.returncode == 1, (r.stdout, r.stderr)
    assert f"record {named}" in r.stderr, r.stderr
