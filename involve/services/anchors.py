"""Audit anchors: sign the verified chain head into the anchor file (and email it to the auditor),
and prove the chain against every signed head in a file.

Anchoring reads the chain in a read transaction (no write lock: verifying a long chain must not
hold up claims) and signs the head that read verified; only the auditor's email is a write.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import func, select

from involve import audit, audit_anchor
from involve.db import reader, unit_of_work
from involve.errors import InvolveError
from involve.mail.outbox import email_row, enqueue
from involve.settings import settings
from models import AuditRecord


@dataclass(frozen=True)
class AnchorResult:
    path: Path
    anchor: audit_anchor.Anchor
    emailed_to: str | None


@dataclass(frozen=True)
class AnchoredVerify:
    ok: bool
    count: int
    head: str
    anchors: int
    problem: str | None = None
    bad_seq: int | None = None


def anchor(*, out: Path | None = None, email: bool = False) -> AnchorResult:
    """Verify the chain (against the heads already in the file, if any), sign its head and append it;
    with `email`, queue it to INVOLVE_AUDIT_EMAIL too. Refuses to sign a chain that does not verify."""
    path = Path(out) if out else audit_anchor.default_file()
    if path.exists():
        checked = verify_with_anchors(path)
    else:
        with reader() as session:
            r = audit.verify(session)
        checked = AnchoredVerify(r.ok, r.count, r.head, 0, r.problem, r.bad_seq)
    if not checked.ok:
        raise InvolveError(f"the audit chain does not verify ({checked.problem}); not signing its head")
    with reader() as session:
        sealed_from = audit.first_sealed(session)
    signed = audit_anchor.sign(checked.count, checked.head, sealed_from)
    audit_anchor.append(path, signed)
    to = settings.audit_email if email else None
    if to:
        reference = f"AUDIT-{signed.seq}"
        with unit_of_work() as session:
            enqueue(session, [email_row(template="audit_anchor", to=to, reference=reference, context={
                "reference": reference, "seq": signed.seq, "hash": signed.hash, "at": signed.at,
                "key": signed.key, "public_key": audit_anchor.public_key_text(), "line": signed.as_json()})])
    return AnchorResult(path, signed, to)


def verify_with_anchors(path: Path) -> AnchoredVerify:
    """The chain walk (links, hashes, seals), then every signed head in `path`: a head whose record
    is missing means records were removed or the database restored to an earlier state; a head whose
    hash differs means a record up to it was rewritten. The problem reported is the earliest record."""
    path = Path(path)
    if not path.is_file():
        raise InvolveError(f"--anchor: no such file: {path}")
    try:
        anchors = audit_anchor.read(path)
    except audit_anchor.BadAnchorFile as exc:
        return AnchoredVerify(False, 0, audit.GENESIS, 0, str(exc), None)
    sealed = [a.sealed_from for a in anchors if a.sealed_from is not None]
    hashes_at: dict[int, str | None] = {a.seq: None for a in anchors}
    with reader() as session:
        walk = audit.verify(session, sealed_from=min(sealed) if sealed else None, hashes_at=hashes_at)
        last = session.execute(select(func.max(AuditRecord.seq))).scalar_one() or 0
    problems: list[tuple[int, int, str]] = []  # (record, order, text): the earliest record wins
    if not walk.ok:
        problems.append((walk.bad_seq or 0, 0, walk.problem or "the chain does not verify"))
    earlier = 0
    for a in sorted(anchors, key=lambda a: a.seq):
        if a.seq == 0:
            continue
        if a.seq > last:
            problems.append((last + 1, 1, f"record {last + 1} is missing: the head signed at {a.at} (line {a.line}) "
                                          f"covers {a.seq} records, the database ends at record {last} "
                                          f"(restored to an earlier state, or records removed)"))
        elif walk.ok or a.seq < (walk.bad_seq or 0):
            if hashes_at.get(a.seq) != a.hash:
                first = earlier + 1
                where = f"record {a.seq}" if first == a.seq else f"a record from {first} to {a.seq}"
                problems.append((first, 2, f"{where} was rewritten: the chain's hash at record {a.seq} differs "
                                           f"from the head signed at {a.at} (line {a.line})"))
        earlier = a.seq
    if problems:
        bad, _, text = min(problems)
        return AnchoredVerify(False, walk.count, walk.head, len(anchors), text, bad)
    return AnchoredVerify(True, walk.count, walk.head, len(anchors))
