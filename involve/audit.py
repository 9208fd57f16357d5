"""The audit chain: one append-only, hash-chained record per change, in the change's transaction.

Each record's hash is SHA-256 over its canonical JSON content plus the previous record's hash;
`audit_head` keeps the last (seq, hash) so a deleted tail is found too. Writers lock the head
row, so sequence numbers follow commit order on every database.

Each record is also sealed: an HMAC of its hash under a key derived from INVOLVE_AUDIT_KEY, which
lives outside the database. Someone who edits a record and recomputes every later hash cannot make
the seals, so `verify` names the edited record. Signed chain heads kept outside the database
(`involve.audit_anchor`) find what seals cannot: records cut off the end, or a database restored
to an earlier state.
"""
from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import insert, select, update
from sqlalchemy.orm import Session

from models import AuditHead, AuditRecord

GENESIS = "0" * 64
SYSTEM = "system"


@dataclass(frozen=True)
class Change:
    entity: str
    reference: str
    action: str
    actor: str = SYSTEM
    from_status: str | None = None
    to_status: str | None = None
    reason: str | None = None
    data: dict[str, Any] | None = None


def _content(seq: int, at: datetime, c: Change | AuditRecord, prev: str) -> bytes:
    body = {
        "seq": seq, "at": at.astimezone(UTC).isoformat(timespec="microseconds"), "actor": c.actor,
        "entity": c.entity, "reference": c.reference, "action": c.action,
        "from": c.from_status, "to": c.to_status, "reason": c.reason, "data": c.data, "prev": prev,
    }
    return json.dumps(body, sort_keys=True, separators=(",", ":"), default=str).encode()


def record_hash(seq: int, at: datetime, c: Change | AuditRecord, prev: str) -> str:
    return hashlib.sha256(_content(seq, at, c, prev)).hexdigest()


def seal_key(audit_key: str | None = None) -> bytes:
    """The HMAC key for seals, derived from INVOLVE_AUDIT_KEY (the anchors' signing key)."""
    if audit_key is None:
        from involve.settings import settings

        audit_key = settings.resolved_audit_key
    return hashlib.sha256(b"involve-audit-seal:" + audit_key.encode()).digest()


def seal(key: bytes, record_hash_hex: str) -> str:
    return hmac.new(key, record_hash_hex.encode(), hashlib.sha256).hexdigest()


_HEAD, _RECORDS = AuditHead.__table__, AuditRecord.__table__
# built once: every state change runs them
_LOCK_HEAD = select(_HEAD.c.seq, _HEAD.c.hash).where(_HEAD.c.id == 1).with_for_update()
_INSERT_RECORDS = insert(_RECORDS)
_MOVE_HEAD = update(_HEAD).where(_HEAD.c.id == 1)


def _lock_head(session: Session) -> tuple[int, str]:
    """(seq, hash) of the chain head, locked for this transaction (created on first use).
    Core statements: the chain is appended on every state change, so it stays cheap."""
    head = session.execute(_LOCK_HEAD).first()
    if head is None:
        session.execute(insert(_HEAD).values(id=1, seq=0, hash=GENESIS))
        return 0, GENESIS
    return head.seq, head.hash


def record(session: Session, changes: Iterable[Change]) -> int:
    """Append `changes` to the chain inside the caller's transaction; returns the new head seq."""
    changes = list(changes)
    if not changes:
        return 0
    key = seal_key()
    seq, prev = _lock_head(session)
    at = datetime.now(UTC)
    rows = []
    for c in changes:
        seq += 1
        h = record_hash(seq, at, c, prev)
        rows.append({"seq": seq, "at": at, "actor": c.actor, "entity": c.entity, "reference": c.reference,
                     "action": c.action, "from_status": c.from_status, "to_status": c.to_status,
                     "reason": c.reason, "data": c.data, "prev_hash": prev, "hash": h, "seal": seal(key, h)})
        prev = h
    session.execute(_INSERT_RECORDS, rows)
    session.execute(_MOVE_HEAD, {"seq": seq, "hash": prev})
    return seq


@dataclass(frozen=True)
class VerifyResult:
    ok: bool
    count: int
    head: str
    problem: str | None = None
    bad_seq: int | None = None


def iter_records(session: Session, batch: int = 5000) -> Iterator[AuditRecord]:
    last = 0
    while True:
        rows = session.execute(select(AuditRecord).where(AuditRecord.seq > last)
                               .order_by(AuditRecord.seq).limit(batch)).scalars().all()
        if not rows:
            return
        yield from rows
        last = rows[-1].seq
        session.expunge_all()


def verify(session: Session, *, sealed_from: int | None = None, hashes_at: dict[int, str] | None = None,
           key: bytes | None = None) -> VerifyResult:
    """Walk the chain: sequence, links, hashes, seals. Every record from the first sealed one on (or
    from `sealed_from`, as signed anchors recorded it) must carry a good seal. `hashes_at` ({seq:
    hash}) collects the chain's hash at those positions, for the anchors to compare."""
    key = seal_key() if key is None else key
    prev, expected_seq, count = GENESIS, 1, 0
    sealed = sealed_from if sealed_from is not None else None
    for r in iter_records(session):
        if r.seq != expected_seq:
            return VerifyResult(False, count, prev, f"record {expected_seq} is missing (next is {r.seq})",
                                expected_seq)
        if r.prev_hash != prev:
            return VerifyResult(False, count, prev,
                                f"record {r.seq} does not follow record {r.seq - 1} (deleted or reordered)", r.seq)
        if record_hash(r.seq, r.at, r, r.prev_hash) != r.hash:
            return VerifyResult(False, count, prev, f"record {r.seq} was edited (its hash does not match)", r.seq)
        if r.seal is not None:
            if not hmac.compare_digest(r.seal, seal(key, r.hash)):
                return VerifyResult(False, count, prev,
                                    f"record {r.seq} was rewritten: its seal does not match the audit key "
                                    f"(edited with the hashes recomputed, or INVOLVE_AUDIT_KEY is not this "
                                    f"installation's key)", r.seq)
            sealed = r.seq if sealed is None else sealed
        elif sealed is not None and r.seq >= sealed:
            return VerifyResult(False, count, prev,
                                f"record {r.seq} was rewritten: its seal was removed", r.seq)
        if hashes_at is not None and r.seq in hashes_at:
            hashes_at[r.seq] = r.hash
        prev, expected_seq, count = r.hash, expected_seq + 1, count + 1
    head = session.get(AuditHead, 1)
    head_seq, head_hash = (head.seq, head.hash) if head else (0, GENESIS)
    if head_seq != count or head_hash != prev:
        bad = count + 1 if head_seq > count else max(1, head_seq)
        what = "is missing" if head_seq > count else "does not match the chain head"
        return VerifyResult(False, count, prev,
                            f"record {bad} {what}: the chain head says {head_seq} records ending "
                            f"{head_hash[:12]}, but {count} records end {prev[:12]} (records removed from the end?)",
                            bad)
    return VerifyResult(True, count, prev)


def export_lines(session: Session) -> Iterator[str]:
    """JSON lines, one per record, then one line with the chain head."""
    count, prev = 0, GENESIS
    for r in iter_records(session):
        yield json.dumps({
            "seq": r.seq, "at": r.at.isoformat(timespec="microseconds"), "actor": r.actor, "entity": r.entity,
            "reference": r.reference, "action": r.action, "from_status": r.from_status,
            "to_status": r.to_status, "reason": r.reason, "data": r.data, "prev_hash": r.prev_hash,
            "hash": r.hash, "seal": r.seal}, sort_keys=True, default=str)
        count, prev = r.seq, r.hash
    yield json.dumps({"chain_head": {"seq": count, "hash": prev}})


def chain_head(session: Session) -> tuple[int, str]:
    head = session.get(AuditHead, 1)
    return (head.seq, head.hash) if head else (0, GENESIS)


def first_sealed(session: Session) -> int | None:
    """The first record that carries a seal (records before migration 0004 have none)."""
    from sqlalchemy import func

    return session.execute(select(func.min(AuditRecord.seq)).where(AuditRecord.seal.isnot(None))).scalar_one()
