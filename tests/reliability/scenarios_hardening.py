"""Soak scenarios for issue 18 (secrets and the audit anchor), against a real `involve serve`:

- a rewritten audit chain: claims arrive, the chain head is signed (`involve audit anchor`), then a
  copy of the database has one record edited with every later hash and the head recomputed; `involve
  audit verify --anchor` names that record, and the untouched database still verifies;
- a moved working folder: a server with generated secrets (no INVOLVE_DATA_KEY) is restarted from
  another folder; the same INVOLVE_HOME gives the same keys (stored bank details open, nothing is
  generated in the new folder), and a home without those keys refuses to start with one line;
- hostile numbers under load: valid signed claims sent concurrently while Typeform, Tally and
  canonical payloads with numbers such as `1e999999`, 40 digits or 10**400, and deeply nested JSON,
  are interleaved; every hostile one answers 422 quickly, `/health` keeps answering, and every valid
  claim is stored exactly once.
"""
from __future__ import annotations

import base64
import hashlib
import hmac
import json
import random
import shutil
import sqlite3
import subprocess
import threading
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx

from tests.e2e.harness import INVOLVE
from tests.reliability.support import (
    PrefectApi,
    Result,
    Server,
    Sink,
    account,
    claim,
    items_for,
    post_all,
    signed_headers,
    wait_until,
)


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
        # the run reads the stored (encrypted) rows with the key found through INVOLVE_HOME; with nothing
        # approved yet it answers "nothing to pay" (exit 2, issue 14) rather than an INVOLVE_DATA_KEY refusal
        run_ok = run.returncode == 0 or (run.returncode == 2 and "no approved claims" in run.stderr
                                         and "INVOLVE_DATA_KEY" not in run.stderr)
        ok = (again == [202] * claims and run_ok and same_key and nothing_new and refused_ok
              and stored == 2 * claims)
        note = ("same keys from another folder; a home without them refused to start" if ok else
                f"run={run.returncode} {run.stderr[:120]} same_key={same_key} nothing_new={nothing_new} "
                f"refused={refused.returncode} {refused.stderr[:120]}")
        return Result("a moved working folder", 2 * claims, 2 * claims - stored, 0, 0, ok=ok, note=note)
    finally:
        srv.stop()
        shutil.rmtree(workdir / "other-home", ignore_errors=True)


# ---- hostile numbers under load ---------------------------------------------------------------------

HOSTILE_NUMBERS = ["1e999999", "1E999999999999", "1" * 40, "9" * 13, "NaN", "Infinity"]
RAW_HOSTILE_NUMBERS = [b"1e999999", b"1" * 40, b"1" + b"0" * 400, b"-1e999999"]  # JSON numbers, unquoted


def _provider_sig(secret: str, body: bytes) -> str:
    return base64.b64encode(hmac.new(secret.encode(), body, hashlib.sha256).digest()).decode()


def hostile_requests(srv: Server, tag: str, n: int) -> list[tuple[str, str, bytes, dict]]:
    """`n` (kind, path, body, headers), signed as each endpoint expects and each one refusable only by
    its numbers or its nesting: Typeform and Tally answers, canonical claims, deeply nested JSON."""
    from tests.unit.test_providers import _tf, tally_payload, typeform_payload

    tf_secret, tally_secret = srv.env.get("INVOLVE_TYPEFORM_SECRET"), srv.env.get("INVOLVE_TALLY_SECRET")
    fields = ("travel_public_transport", "travel_miles", "travel_passengers")
    out: list[tuple[str, str, bytes, dict]] = []
    for i in range(n):
        value = HOSTILE_NUMBERS[i % len(HOSTILE_NUMBERS)]
        field = fields[i % len(fields)]
        kind = i % 5
        if kind == 0 and tf_secret:
            payload = typeform_payload(**{field: _tf(field, "number", "number", value)})
            payload["form_response"]["token"] = f"{tag}tf{i:06d}"
            body = json.dumps(payload).encode()
            out.append((f"typeform {field}={value[:12]}", "/webhooks/claims/typeform", body,
                        {"content-type": "application/json", "Typeform-Signature": "sha256=" +
                         _provider_sig(tf_secret, body)}))
        elif kind == 1 and tally_secret:
            payload = tally_payload()
            payload["data"]["responseId"] = payload["data"]["submissionId"] = f"{tag}ta{i:06d}"
            payload["eventId"] = f"{tag}-ta-{i}"
            for f in payload["data"]["fields"]:
                if f["label"] == field:
                    f["value"] = value
            body = json.dumps(payload).encode()
            out.append((f"tally {field}={value[:12]}", "/webhooks/claims/tally", body,
                        {"content-type": "application/json", "Tally-Signature": _provider_sig(tally_secret, body)}))
        elif kind == 2:  # canonical, money as a string
            c = claim(100000 + i, tag=tag)
            c["expenses"][0]["amount"] = value
            body = json.dumps(c).encode()
            out.append((f"canonical amount={value[:12]}", "/webhooks/claims", body,
                        signed_headers(srv.secret, f"msg_{tag}_h{i}", body)))
        elif kind == 3:  # canonical, miles or passengers as a JSON number written out in the bytes
            c = claim(100000 + i, tag=tag)
            raw = RAW_HOSTILE_NUMBERS[i % len(RAW_HOSTILE_NUMBERS)]
            key = "passengers" if i % 2 else "miles"
            c["expenses"][1][key] = "@@N@@"
            body = json.dumps(c).encode().replace(b'"@@N@@"', raw)
            out.append((f"canonical {key}={raw[:12].decode()}", "/webhooks/claims", body,
                        signed_headers(srv.secret, f"msg_{tag}_h{i}", body)))
        else:  # deeply nested JSON, signed, under the body limit
            depth = 20000 + i % 7
            body = b"[" * depth + b"]" * depth
            path = "/webhooks/claims/typeform" if (i % 2 and tf_secret) else "/webhooks/claims"
            headers = signed_headers(srv.secret, f"msg_{tag}_d{i}", body)
            if tf_secret:
                headers["Typeform-Signature"] = "sha256=" + _provider_sig(tf_secret, body)
            out.append((f"nested JSON depth {depth} on {path}", path, body, headers))
    return out


def hostile_numbers_under_load(
    srv: Server, *, claims: int = 200, hostile: int = 60, concurrency: int = 16, quick_seconds: float = 5.0,
    health_seconds: float = 5.0, wait_processed: float = 300,
) -> Result:
    """Valid signed claims `concurrency` at a time while `hostile` refusable payloads (see
    hostile_requests) are sent alongside and `/health` is polled: every hostile one is 422 within
    `quick_seconds`, every `/health` answers 200 within `health_seconds`, and the valid claims are
    stored exactly once (none lost, none duplicated, nothing stored that was not a valid claim)."""
    tag = f"hostile{len(srv.claims())}x"
    items = items_for(tag, claims, canary=srv.canary)
    bad = hostile_requests(srv, tag, hostile)
    random.Random(18).shuffle(bad)
    before = len(srv.claims())
    done = threading.Event()
    hostile_answers: list[tuple[str, int | None, float, str]] = []
    health: list[tuple[int | None, float]] = []

    def poll_health() -> None:
        with httpx.Client(timeout=health_seconds * 4) as c:
            while not done.is_set():
                t0 = time.monotonic()
                try:
                    status = c.get(srv.url + "/health").status_code
                except httpx.HTTPError:
                    status = None
                health.append((status, time.monotonic() - t0))
                time.sleep(0.2)

    def send_hostile(req: tuple[str, str, bytes, dict]) -> None:
        name, path, body, headers = req
        t0 = time.monotonic()
        try:
            with httpx.Client(timeout=60) as c:
                r = c.post(srv.url + path, content=body, headers=headers)
            hostile_answers.append((name, r.status_code, time.monotonic() - t0, r.text[:160]))
        except httpx.HTTPError as exc:
            hostile_answers.append((name, None, time.monotonic() - t0, type(exc).__name__))

    def hostile_stream() -> None:
        # spread across the valid load: a few at a time, a short pause between rounds
        with ThreadPoolExecutor(max_workers=4) as pool:
            for k in range(0, len(bad), 4):
                list(pool.map(send_hostile, bad[k:k + 4]))
                time.sleep(0.05)

    poller = threading.Thread(target=poll_health, daemon=True)
    sender = threading.Thread(target=hostile_stream, daemon=True)
    poller.start()
    sender.start()
    try:
        ledger = post_all(srv, items, concurrency)
        sender.join(300)
    finally:
        time.sleep(0.5)  # one more /health after the last request
        done.set()
        poller.join(30)
    statuses = Counter(a.status for a in ledger.attempts)
    acc = account(ledger, srv, tag)
    after = len(srv.claims())
    wrong = [a for a in hostile_answers if a[1] != 422]
    slow = [a for a in hostile_answers if a[2] > quick_seconds]
    sick = [h for h in health if h[0] != 200 or h[1] > health_seconds]
    slowest = max((a[2] for a in hostile_answers), default=0.0)
    health_max = max((h[1] for h in health), default=0.0)
    failures = []
    if len(hostile_answers) != len(bad):
        failures.append(f"{len(bad) - len(hostile_answers)} hostile requests never answered")
    if wrong:
        failures.append(f"{len(wrong)} hostile requests not 422: {wrong[:3]}")
    if slow:
        failures.append(f"{len(slow)} hostile requests slower than {quick_seconds}s: {slow[:3]}")
    if not health or sick:
        failures.append(f"/health: {len(health)} polls, {len(sick)} not 200 within {health_seconds}s: {sick[:3]}")
    if statuses[202] != claims:
        failures.append(f"valid claims answered {dict(statuses)}")
    if acc.lost or acc.duplicated or acc.unexpected or acc.stored != claims or after - before != claims:
        failures.append(f"{acc}; {after - before} new claims in the database")
    assert not failures, "\n".join(failures)
    wait_until(lambda: set(srv.statuses(tag)) == {"awaiting_approval"}, wait_processed,
               what="every valid claim to be processed")
    return Result(
        f"hostile numbers under load ({claims} valid + {len(bad)} hostile, {concurrency} at a time)",
        claims + len(bad),
        len(acc.lost),
        len(acc.duplicated),
        0,
        note=f"hostile all 422, slowest {slowest:.2f}s; /health {len(health)} polls, slowest {health_max:.2f}s",
    )
