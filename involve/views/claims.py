"""Reading claims: one claim with its expense lines and history, lists with filters and keyset
pagination, and the JSON shape the CLI prints (`claims show --json`)."""
from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import String, cast, column, func, or_, select, table, text
from sqlalchemy.orm import Session, aliased, selectinload

from involve.db import reader
from involve.errors import NotFound
from models import AuditRecord, Claim, Receipt

PAGE_SIZE = 50


def money(value) -> str | None:
    return None if value is None else f"{value:.2f}"


def claim_dict(c: Claim, *, expenses: bool = False, history: list[dict] | None = None) -> dict:
    """The JSON shape of a claim (`claims list|show --json`); no bank details beyond the masked number."""
    data = {
        "reference": c.reference, "status": c.status, "claimant_name": c.claimant_name,
        "claimant_email": c.claimant_email, "claimant_language": c.claimant_language,
        "claimant_format": c.claimant_format, "activity_kind": c.activity_kind, "activity_title": c.activity_title,
        "activity_date": c.activity_date.isoformat(), "activity_start": c.activity_start,
        "activity_end": c.activity_end, "borough": c.borough, "service": c.service, "lead_email": c.lead_email,
        "activity_reference": c.activity_reference, "fee_claimed": c.fee_claimed,
        "fee_amount": money(c.fee_amount), "expenses_amount": money(c.expenses_amount),
        "total_amount": money(c.total_amount), "payable_amount": money(c.payable_amount),
        "expenses_only": c.expenses_only, "flags": list(c.flags or []), "approver_email": c.approver_email,
        "approved_by": c.approved_by, "second_approved_by": c.second_approved_by,
        "rejection_reason": c.rejection_reason, "payment_method": c.payment_method,
        "bank_account": c.bank_details_masked, "submitted_at": c.submitted_at.isoformat(),
        "paid_at": c.paid_at.isoformat() if c.paid_at else None,
        "hold_reason": c.hold_reason, "keyed_by": c.keyed_by,  # set aside by processing: why; phone keyer
    }
    if expenses:
        data["expenses"] = [{"kind": e.kind, "claimed_amount": money(e.claimed_amount),
                             "miles": None if e.miles is None else str(e.miles), "passengers": e.passengers,
                             "vehicle": e.vehicle, "receipt": e.receipt, "amount": money(e.amount),
                             "receipt_attached": e.id in receipt_lines(c)}
                            for e in c.expenses]
    if history is not None:
        data["history"] = history
    return data


def receipt_lines(c: Claim) -> frozenset[int]:
    """Ids of the claim's expense lines with a stored receipt file (set by `claim_with_history`)."""
    return getattr(c, "receipt_line_ids", frozenset())


def history_dict(r: AuditRecord) -> dict:
    return {"at": r.at.isoformat(), "actor": r.actor, "from_status": r.from_status, "to_status": r.to_status,
            "reason": r.reason, "action": r.action}


def claim_by_reference(session: Session, reference: str) -> Claim:
    """A claim by its reference, inside the caller's session (link pages); NotFound otherwise."""
    claim = session.execute(select(Claim).options(selectinload(Claim.expenses))
                            .where(Claim.reference == reference.strip().upper())).scalar_one_or_none()
    if claim is None:
        raise NotFound(f"no claim with reference {reference}")
    return claim


def claim_history(session: Session, reference: str) -> list[AuditRecord]:
    return list(session.execute(select(AuditRecord).where(AuditRecord.entity == "claim",
                                                          AuditRecord.reference == reference)
                                .order_by(AuditRecord.seq)).scalars())


def claim_with_history(reference: str) -> tuple[Claim, list[AuditRecord]]:
    """One claim with its expense lines and its history from the audit trail; NotFound otherwise."""
    with reader() as s:
        claim = claim_by_reference(s, reference)
        claim.receipt_line_ids = frozenset(s.execute(select(Receipt.line_id).where(
            Receipt.claim_id == claim.id, Receipt.line_id.is_not(None))).scalars())
        return claim, claim_history(s, claim.reference)


@dataclass(frozen=True)
class ClaimFilters:
    status: str = ""
    flag: str = ""
    borough: str = ""
    involving: str | None = None   # only claims led by or routed to this person (a lead's own list)
    q: str = ""                    # a reference, or part of a name or email


@dataclass
class ClaimPage:
    claims: list[Claim]
    next_before: int | None = None      # pass as `before` for the next (older) page
    filters: ClaimFilters = field(default_factory=ClaimFilters)


SEARCH_WINDOW = 50_000  # newest claims a short search reads in id order before it turns to the name index
TRIGRAM_MIN = 3         # a part of a name or email this long is looked up in migration 0013's trigram index
TRIGRAMS_USED = 16      # at most this many trigrams narrow the lookup (LIKE checks the rest of a long term)
CLAIMS_SEARCH = table("claims_search", column("rowid"))  # SQLite FTS5, trigram tokenizer (0013)


def _where(stmt, f: ClaimFilters):
    """Every filter but the search (`q`), which `_search` adds."""
    if f.status:
        stmt = stmt.where(Claim.status == f.status)
    if f.borough:
        stmt = stmt.where(Claim.borough == f.borough)
    if f.involving:
        stmt = stmt.where(or_(Claim.approver_email == f.involving, Claim.lead_email == f.involving))
    if f.flag:  # the JSON list as text, on SQLite and PostgreSQL alike (flags are plain words)
        stmt = stmt.where(cast(Claim.flags, String).contains(f'"{f.flag}"'))
    return stmt


def _newest(s: Session, stmt, n: int) -> list[Claim]:
    return list(s.execute(stmt.order_by(Claim.id.desc()).limit(n)).scalars())


def _search(s: Session, stmt, q: str, before: int | None, n: int) -> list[Claim]:
    """Claims matching a reference (unique index), a whole email (ix_claims_claimant_date), or part of a
    name or email: LIKE on SQLite (ASCII case ignored), ILIKE on PostgreSQL, % and _ taken literally.
    A part of TRIGRAM_MIN characters or more is found through migration 0013's trigram index
    (`_trigram_search`; the same LIKE / ILIKE decides). A shorter one is looked for first in the
    newest SEARCH_WINDOW claims in id order (a common word fills the page there), then, for older
    claims, through ix_claims_name_email (reading that narrow index instead of the table)."""
    if q.upper().startswith("CLM-"):
        return _newest(s, stmt.where(Claim.reference == q.upper()), n)
    if "@" in q and (exact := _newest(s, stmt.where(Claim.claimant_email == q.lower()), n)):
        return exact
    term = q.lower()
    like = "%" + term.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
    sqlite = s.get_bind().dialect.name == "sqlite"

    def match(c):
        if sqlite:
            return or_(c.claimant_name.like(like, escape="\\"), c.claimant_email.like(like, escape="\\"))
        return or_(c.claimant_name.ilike(like, escape="\\"), c.claimant_email.ilike(like, escape="\\"))

    if len(term) >= TRIGRAM_MIN:
        if sqlite:
            return _trigram_search(s, stmt.where(match(Claim)), term, before, n)
        return _newest(s, stmt.where(match(Claim)), n)   # ILIKE reads the pg_trgm GIN indexes
    top = before if before is not None else (s.scalar(select(func.max(Claim.id))) or 0) + 1
    floor = top - SEARCH_WINDOW
    found = _newest(s, stmt.where(match(Claim), Claim.id >= floor), n)
    if len(found) == n or floor <= 1:
        return found
    other = aliased(Claim)
    older = select(other.id).where(match(other))
    return found + _newest(s, stmt.where(Claim.id < floor, Claim.id.in_(older)), n - len(found))


def _trigram_search(s: Session, stmt, term: str, before: int | None, n: int) -> list[Claim]:
    """SQLite: the claims whose name or email holds the trigrams that cover `term` side by side
    (claims_search, newest first; FTS5 folds case like LIKE does for ASCII, and more: every real match
    is among them), of which `stmt`'s LIKE keeps the real matches, so the answer is exactly LIKE's.
    Side by side, not every overlapping trigram: a third of the lists to merge (a part of an email
    at 1,000,000 claims: 17 → 6.5 ms of CPU for the query)."""
    starts = [*range(0, len(term) - 3, 3), len(term) - 3]   # trigrams side by side that cover the term
    grams = list(dict.fromkeys(term[i:i + 3] for i in starts))[:TRIGRAMS_USED]
    stmt = stmt.join(CLAIMS_SEARCH, CLAIMS_SEARCH.c.rowid == Claim.id).where(
        text("claims_search MATCH :trigrams").bindparams(
            trigrams=" AND ".join('"' + g.replace('"', '""') + '"' for g in grams)))
    if before is not None:
        stmt = stmt.where(CLAIMS_SEARCH.c.rowid < before)
    return list(s.execute(stmt.order_by(CLAIMS_SEARCH.c.rowid.desc()).limit(n)).scalars())


def list_claims(filters: ClaimFilters = ClaimFilters(), *, before: int | None = None,
                limit: int | None = None) -> ClaimPage:
    """Newest first, `limit` (default PAGE_SIZE) at a time: keyset pagination on the claim id, so page 500
    costs as little as page 1 (ix_claims_status_id for a status; the primary key otherwise)."""
    limit = limit or PAGE_SIZE
    with reader() as s:
        stmt = _where(select(Claim), filters)
        if before is not None:
            stmt = stmt.where(Claim.id < before)
        q = filters.q.strip()
        rows = _search(s, stmt, q, before, limit + 1) if q else _newest(s, stmt, limit + 1)
    more = len(rows) > limit
    rows = rows[:limit]
    return ClaimPage(rows, rows[-1].id if more and rows else None, filters)


def statuses_present() -> list[str]:
    """The statuses some claim is in now (the list's filter offers only these): one ix_claims_status_id
    lookup per known status, not a DISTINCT over every claim."""
    from involve.domain.transitions import STATUSES

    with reader() as s:
        return sorted(st for st in STATUSES
                      if s.execute(select(Claim.id).where(Claim.status == st).limit(1)).first() is not None)


def claims_by_reference(references: list[str]) -> list[Claim]:
    """Several claims by reference (the bulk-approval confirmation), in the order given."""
    refs = [r.strip().upper() for r in references][:200]
    with reader() as s:
        found = {c.reference: c for c in s.execute(select(Claim).where(Claim.reference.in_(refs))).scalars()}
    return [found[r] for r in dict.fromkeys(refs) if r in found]


def all_claims(status: str = "") -> list[Claim]:
    """Every claim (newest first) for the CLI's `claims list`."""
    with reader() as s:
        stmt = select(Claim).order_by(Claim.id.desc())
        if status:
            stmt = stmt.where(Claim.status == status)
        return list(s.execute(stmt).scalars())
