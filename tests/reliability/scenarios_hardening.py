"""Soak scenarios for issue 18 (secrets and the audit anchor), against a real `involve serve`:

- a rewritten audit chain: claims arrive, the chain head is signed (`involve audit anchor`), then a
  copy of the database has one record edited with every later hash and the head recomputed; `involve
  audit verify --anchor` names that record, and the untouched database still verifies;
- a moved working folder: a server with generated secrets (no INVOLVE_DATA_KEY) is restarted from
  another folder; the same INVOLVE_HOME gives the same keys (stored bank details open, nothing is
  generated in the new folder), and a home without those keys refuses to start with one line.
"""
from __future__ import annotations

import shutil
import sqlite3
import subprocess
from pathlib import Path

from tests.e2e.harness import INVOLVE
from tests.reliability.support import PrefectApi, Result, Server, Sink, claim, wait_until


def rewrite_audit_record(database_url: str, seq: int, reason: str = "rewritten") -> None:
    """Edit audit record `seq` and recompute its hash, every later hash and the chain head: what someone
    with write access to the database, but not the audit key, can do."""
    from sqlalchemy import select, update

    from involve import audit
    from involve.db import dispose_engines, unit_of_work
    from models import AuditHead, AuditRecord

    with unit_of_work(database_url) as s:
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
    dispose_engines()


def _cli(srv: Server, *args: str, cwd: Path | None = None, env: dict | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([str(INVOLVE), *args], cwd=cwd or srv.workdir, env=dict(srv.env, **(env or {})),
                          capture_output=True, text=True, timeout=300)


def rewritten_audit_chain(srv: Server, *, claims: int = 20) -> Result:
    tag = f"anchor{len(srv.claims())}"
    posted = [srv.post(claim(i, tag=tag, canary=srv.canary), f"msg_{tag}_{i}").status_code for i in range(claims)]
    assert posted == [202] * claims, posted
    wait_until(lambda: all(s != "submitted" for _, _, s in srv.claims(tag)), 120, what="claims processed")
    anchors = srv.workdir / "soak-anchors.jsonl"
    r = _cli(srv, "audit", "anchor", "--out", str(anchors))
    assert r.returncode == 0, r.stderr
    copy = srv.workdir / "rewritten.db"
    src, dst = sqlite3.connect(srv.workdir / "involve.db"), sqlite3.connect(copy)
    src.backup(dst)
    src.close()
    dst.close()
    total = sqlite3.connect(copy).execute("SELECT max(seq) FROM audit_records").fetchone()[0]
    target = total // 2
    url = f"sqlite:///{copy}"
    rewrite_audit_record(url, target)
    plain = _cli(srv, "audit", "verify", env={"INVOLVE_DATABASE_URL": url})
    anchored = _cli(srv, "audit", "verify", "--anchor", str(anchors), env={"INVOLVE_DATABASE_URL": url})
    intact = _cli(srv, "audit", "verify", "--anchor", str(anchors))
    named = f"record {target} " in anchored.stderr and f"record {target} " in plain.stderr
    ok = plain.returncode == 1 and anchored.returncode == 1 and named and intact.returncode == 0
    return Result("a rewritten audit chain (hashes recomputed)", claims, 0, 0, 0, ok=ok,
                  note=f"record {target} of {total} named" if ok else (anchored.stderr or anchored.stdout)[:200])


def moved_working_folder(prefect: PrefectApi, workdir: Path, sink: Sink, *, claims: int = 10) -> Result:
    home = workdir / "home"
    first, moved = workdir / "started-here", workdir / "moved-there"
    for d in (first, moved):
        d.mkdir(parents=True)
    srv = Server(first, sink.port, prefect=prefect, database_url=f"sqlite:///{home}/var/involve.db",
                 extra_env={"INVOLVE_HOME": str(home)})
    srv.env.pop("INVOLVE_DATA_KEY")  # generated on first run under INVOLVE_HOME/var
    try:
        srv.start()
        srv.add_staff()
        tag = "moved"
        posted = [srv.post(claim(i, tag=tag, canary=srv.canary), f"msg_{tag}_{i}").status_code for i in range(claims)]
        assert posted == [202] * claims, posted
        key = (home / "var" / "data-key").read_text()
        srv.stop()
        srv.workdir = moved  # `serve` and the CLI now start from another folder
        srv.start()
        again = [srv.post(claim(i, tag=tag + "2", canary=srv.canary), f"msg_{tag}2_{i}").status_code
                 for i in range(claims)]
        run = _cli(srv, "payments", "run", "--by", "finance@example.nhs.uk", "--json")  # opens stored rows
        same_key = (home / "var" / "data-key").read_text() == key
        nothing_new = not (moved / "var").exists() and not (first / "var").exists()
        srv.stop()
        elsewhere = workdir / "other-home"  # what a new folder used to get silently: a fresh key
        refused = subprocess.run([str(INVOLVE), "serve", "--port", "0"], cwd=moved, timeout=300, text=True,
                                 capture_output=True, env=dict(srv.env, INVOLVE_HOME=str(elsewhere)))
        lines = refused.stderr.strip().splitlines()
        refused_ok = refused.returncode == 2 and len(lines) == 1 and lines[0].startswith("INVOLVE_DATA_KEY:")
        stored = len(srv.claims(tag))
        ok = (again == [202] * claims and run.returncode == 0 and same_key and nothing_new and refused_ok
              and stored == 2 * claims)
        note = ("same keys from another folder; a home without them refused to start" if ok else
                f"run={run.returncode} {run.stderr[:120]} same_key={same_key} nothing_new={nothing_new} "
                f"refused={refused.returncode} {refused.stderr[:120]}")
        return Result("a moved working folder", 2 * claims, 2 * claims - stored, 0, 0, ok=ok, note=note)
    finally:
        srv.stop()
        shutil.rmtree(workdir / "other-home", ignore_errors=True)
