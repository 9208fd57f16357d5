"""Intake: validate a canonical claim and store it durably as `submitted`, idempotently.

One transaction writes the delivery, the claim, its expense lines and the audit record; the
caller answers 2xx only after it commits. The same delivery id with the same body returns the
first answer; with a different body it raises DuplicateDelivery. Bank details are encrypted
before they touch the database.
"""
from __future__ import annotations

import hashlib
import logging
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import bindparam, insert, select
from sqlalchemy.exc import IntegrityError, InterfaceError, OperationalError, SQLAlchemyError
from sqlalchemy.exc import TimeoutError as SATimeoutError
from sqlalchemy.orm import Session

from involve import audit, crypto, faults
from involve.db import unit_of_work
from involve.domain.claim_schema import ClaimIn, parse_claim
from involve.domain.policy import Policy, load_policy
from involve.domain.text import DELIVERY_ID_MAX, bad_character
from involve.domain.transitions import next_status
from involve.errors import DuplicateDelivery, InvalidClaim, PolicyError
from involve.services import receipt_fetches
from involve.services.resends import earlier_submissions, slot
from models import Claim, Delivery, ExpenseLine

log = logging.getLogger("involve.intake")
_ALPHABET = "23456789ABCDEFGHJKLMNPQRSTUVWXYZ"


def new_reference(prefix: str = "CLM") -> str:
    return new_references(1, prefix)[0]


def new_references(n: int, prefix: str = "CLM") -> list[str]:
    """`n` references from one urandom call (a group commit makes many at once). 32 symbols: each
    random byte's low 5 bits pick one uniformly."""
    raw = secrets.token_bytes(8 * n)
    return [f"{prefix}-" + "".join(_ALPHABET[b & 31] for b in raw[i:i + 8]) for i in range(0, 8 * n, 8)]


@dataclass(frozen=True)
class IntakeResult:
    reference: str
    status: str
    created: bool


def body_digest(body: bytes) -> str:
    return hashlib.sha256(body).hexdigest()


def check_policy_covers(claim: ClaimIn, policy: Policy | None = None) -> None:
    try:
        (policy or load_policy()).period_for(claim.activity.date)
    except PolicyError as exc:
        raise InvalidClaim([{"field": "activity.date", "message": str(exc)}]) from None


def claim_row(claim: ClaimIn, *, reference: str, source: str, now: datetime) -> dict:
    pay = claim.payment
    row = {
        "reference": reference, "status": "submitted", "source": source, "submission_id": claim.submission_id,
        "claimant_name": claim.claimant.name, "claimant_email": claim.claimant.email,
        "claimant_language": claim.claimant.language, "claimant_format": claim.claimant.format,
        "activity_kind": claim.activity.kind, "activity_title": claim.activity.title,
        "activity_date": claim.activity.date, "activity_start": claim.activity.start,
        "activity_end": claim.activity.end, "borough": claim.activity.borough, "service": claim.activity.service,
        "lead_email": claim.activity.lead_email, "activity_reference": claim.activity.reference,
        "fee_claimed": claim.fee.claimed, "fee_requested": claim.fee.requested_amount,
        "payment_method": pay.method if pay else None,
        "bank_details_encrypted": None, "bank_details_masked": None, "flags": [], "submitted_at": now,
        "expenses_only": False,
    }
    if pay and (pay.has_bank_details or pay.ni_number or pay.payroll_reference):
        details = {"account_name": pay.account_name, "sort_code": pay.sort_code,
                   "account_number": pay.account_number}
        if pay.method == "payroll":
            details.update(ni_number=pay.ni_number, payroll_reference=pay.payroll_reference)
        row["bank_details_encrypted"] = crypto.encrypt_json({k: v for k, v in details.items() if v})
        row["bank_details_masked"] = crypto.mask_account(pay.account_number)
    return row


_CLAIMS, _LINES, _DELIVERIES = Claim.__table__, ExpenseLine.__table__, Delivery.__table__
# Built once: every group commit runs them, and building a statement and its cache key each time
# cost more CPU than running it (issue 17, part 6)
_SEEN = select(_DELIVERIES.c.delivery_id, _DELIVERIES.c.body_sha256, _DELIVERIES.c.claim_reference).where(
    _DELIVERIES.c.source == bindparam("source"), _DELIVERIES.c.delivery_id.in_(bindparam("ids", expanding=True)))
_INSERT_CLAIMS = insert(_CLAIMS).returning(_CLAIMS.c.id, sort_by_parameter_order=True)
_INSERT_LINES, _INSERT_DELIVERIES = insert(_LINES), insert(_DELIVERIES)


def expense_rows(claim_id: int, claim: ClaimIn, source: str = "") -> list[dict]:
    """The `expense_lines` rows of a validated claim (amounts are worked out by processing). A provider
    receipt that is a file URL to be fetched stays empty until the file is here (receipt_fetches)."""
    return [{"claim_id": claim_id, "line_no": i, "kind": e.kind, "claimed_amount": e.amount, "miles": e.miles,
             "passengers": e.passengers, "vehicle": e.vehicle, "description": e.description,
             "receipt": None if receipt_fetches.urls_to_fetch(source, e.receipt) else e.receipt, "amount": None}
            for i, e in enumerate(claim.expenses, start=1)]


def _queue_fetches(session: Session, claim_id: int, claim: ClaimIn, source: str) -> None:
    """Provider file URLs to fetch in the background (never here, on the webhook's request path)."""
    if source in receipt_fetches.PROVIDERS and any(e.receipt for e in claim.expenses):
        receipt_fetches.queue(session, claim_id, source,
                              {i: e.receipt for i, e in enumerate(claim.expenses, start=1)})


def store_claim(session: Session, claim: ClaimIn, *, source: str, actor: str = audit.SYSTEM,
                reference: str | None = None, row: dict | None = None, action: str = "submit") -> str:
    """Insert a validated claim as `submitted` with its audit record; returns the reference.
    `row` is `claim_row(...)` made beforehand (outside the transaction: it encrypts). `action`
    "prepare" stores a claim the system made for a person as `awaiting_confirmation` instead."""
    now = datetime.now(UTC)
    if row is None:
        row = claim_row(claim, reference=reference or new_reference(), source=source, now=now)
    row["submitted_at"] = now
    row["status"] = next_status(action, None)
    reference = row["reference"]
    # Core statements on the tables (same SQL and column types as the ORM bulk path, far less Python)
    claim_id = session.execute(insert(_CLAIMS).returning(_CLAIMS.c.id), row).scalar_one()
    if claim.expenses:
        session.execute(insert(_LINES), expense_rows(claim_id, claim, source))
        _queue_fetches(session, claim_id, claim, source)
    audit.record(session, [audit.Change("claim", reference, action, actor, None, row["status"],
                                        data={"source": source})])
    return reference


def check_delivery_id(delivery_id: object) -> None:
    """A delivery id the deliveries table can hold (at most 200 characters, one line): else 422."""
    if not isinstance(delivery_id, str) or not delivery_id or len(delivery_id) > DELIVERY_ID_MAX \
            or bad_character(delivery_id):
        raise InvalidClaim([{"field": "webhook-id", "message": f"must be 1 to {DELIVERY_ID_MAX} characters "
                                                                "on one line"}])


def accept_claim(*, payload: object, delivery_id: str, digest: str, source: str = "webhook") -> IntakeResult:
    """Validate and store; idempotent on (source, delivery_id) and on (source, submission_id).
    Raises InvalidClaim (also for a value the database refuses), DuplicateDelivery."""
    check_delivery_id(delivery_id)
    try:
        return _accept_claim(payload=payload, delivery_id=delivery_id, digest=digest, source=source)
    except DATABASE_DOWN:
        raise
    except SQLAlchemyError as exc:  # the database refused this claim's values: this claim's answer only
        raise _refused(exc) from None


def _accept_claim(*, payload: object, delivery_id: str, digest: str, source: str) -> IntakeResult:
    for attempt in (1, 2):
        # Validating, checking the policy and encrypting need no database, so they run before the
        # write transaction (which holds SQLite's single write lock) begins. A rule break is raised
        # only after the duplicate check, as before: a known delivery id still answers 200 / 422.
        try:
            claim, invalid = parse_claim(payload), None
            check_policy_covers(claim)
            row = claim_row(claim, reference=new_reference(), source=source, now=datetime.now(UTC))
        except Exception as exc:  # noqa: BLE001 - re-raised below, after the duplicate check
            claim, invalid, row = None, exc, None
        try:
            with unit_of_work() as session:
                seen = session.execute(select(_DELIVERIES.c.body_sha256, _DELIVERIES.c.claim_reference).where(
                    _DELIVERIES.c.source == source, _DELIVERIES.c.delivery_id == delivery_id)).first()
                if seen is not None:
                    if seen.body_sha256 != digest:
                        raise DuplicateDelivery(f"delivery {delivery_id} was received before with a different body")
                    return IntakeResult(seen.claim_reference, "submitted", created=False)
                if invalid is not None:
                    raise invalid
                sid = claim.submission_id
                earlier = earlier_submissions(session, {(source, sid)}).get((source, sid, *slot(claim))) \
                    if sid else None
                if earlier is not None:  # a re-send: record the new delivery id, answer as the first did
                    session.execute(insert(_DELIVERIES), [{"source": source, "delivery_id": delivery_id,
                                                           "body_sha256": digest, "claim_reference": earlier,
                                                           "received_at": datetime.now(UTC)}])
                    return IntakeResult(earlier, "submitted", created=False)
                reference = store_claim(session, claim, source=source, row=row)
                session.execute(insert(_DELIVERIES), [{"source": source, "delivery_id": delivery_id,
                                                       "body_sha256": digest, "claim_reference": reference,
                                                       "received_at": datetime.now(UTC)}])
                faults.point("intake.before_commit")
            faults.point("intake.after_commit")
            return IntakeResult(reference, "submitted", created=True)
        except IntegrityError:
            if attempt == 2:
                raise
    raise AssertionError("unreachable")


@dataclass(frozen=True)
class Incoming:
    """One delivery for `accept_claims`: the parsed JSON body, its id, the raw body's digest."""
    payload: object
    delivery_id: str
    digest: str
    source: str = "webhook"


def _prepare(item: Incoming, policy: Policy | None, reference: str
             ) -> tuple[ClaimIn | None, dict | None, Exception | None]:
    try:
        check_delivery_id(item.delivery_id)
        claim = parse_claim(item.payload)
        check_policy_covers(claim, policy)
        row = claim_row(claim, reference=reference, source=item.source, now=datetime.now(UTC))
        return claim, row, None
    except Exception as exc:  # noqa: BLE001 - reported after the duplicate check, as accept_claim does
        return None, None, exc


def accept_claims(items: list[Incoming]) -> list[IntakeResult | Exception]:
    """`accept_claim` for several deliveries in one transaction (group commit): one result per
    item, in order, each exactly what `accept_claim` would have answered alone: an IntakeResult, or
    the InvalidClaim / DuplicateDelivery to raise. Rule breaks and duplicates change nothing else in
    the batch. A database error raises for the whole batch (nothing of it is committed); a unique
    clash (another process stored the same delivery meanwhile) falls back to one `accept_claim` each.
    """
    try:
        policy = load_policy()
    except Exception:  # noqa: BLE001 - each item reports it, as accept_claim would
        policy = None
    prepared = [_prepare(item, policy, ref)  # no database: before the write lock
                for item, ref in zip(items, new_references(len(items)), strict=True)]
    try:
        return _store_batch(items, prepared)
    except DATABASE_DOWN:
        raise
    except SQLAlchemyError:
        # a unique clash (another process stored the same delivery meanwhile), or one claim whose
        # values the database refuses: each alone, so one bad claim never fails the others
        out: list[IntakeResult | Exception] = []
        for item in items:
            try:
                out.append(accept_claim(payload=item.payload, delivery_id=item.delivery_id,
                                        digest=item.digest, source=item.source))
            except DATABASE_DOWN:
                raise
            except Exception as exc:  # noqa: BLE001 - that item's own answer, as when alone
                out.append(exc)
        return out


# the database is not answering (503 for everyone, send again later), as against refusing one claim's values
DATABASE_DOWN = (OperationalError, InterfaceError, SATimeoutError)


def _refused(exc: SQLAlchemyError) -> InvalidClaim:
    log.warning("claim refused by the database (%s); answering 422", type(exc).__name__)
    return InvalidClaim([{"field": "body", "message": "cannot be stored: a value is too long or holds a "
                                                      "character the database does not accept"}])


def _store_batch(items: list[Incoming], prepared: list) -> list[IntakeResult | Exception]:
    out: list[IntakeResult | Exception | None] = [None] * len(items)
    with unit_of_work() as session:
        known: dict[tuple[str, str], tuple[str, str]] = {}  # (source, id) -> (digest, reference)
        for source in {i.source for i in items}:
            ids = list({i.delivery_id for i in items if i.source == source})
            for r in session.execute(_SEEN, {"source": source, "ids": ids}):
                known[(source, r.delivery_id)] = (r.body_sha256, r.claim_reference)
        new: list[int] = []
        now = datetime.now(UTC)
        sids = {(i.source, p[0].submission_id) for i, p in zip(items, prepared, strict=True)
                if p[0] is not None and p[0].submission_id}
        earlier = earlier_submissions(session, sids) if sids else {}
        resent: list[int] = []
        for n, (item, (claim, row, invalid)) in enumerate(zip(items, prepared, strict=True)):
            seen = known.get((item.source, item.delivery_id))
            sid = (item.source, claim.submission_id, *slot(claim)) \
                if claim is not None and claim.submission_id else None
            if seen is not None:
                out[n] = (IntakeResult(seen[1], "submitted", created=False) if seen[0] == item.digest else
                          DuplicateDelivery(f"delivery {item.delivery_id} was received before "
                                            "with a different body"))
            elif invalid is not None:
                out[n] = invalid
            elif sid in earlier:
                out[n] = IntakeResult(earlier[sid], "submitted", created=False)
                known[(item.source, item.delivery_id)] = (item.digest, earlier[sid])
                resent.append(n)
            else:
                if sid:
                    earlier[sid] = row["reference"]
                row["submitted_at"] = now
                known[(item.source, item.delivery_id)] = (item.digest, row["reference"])
                new.append(n)
        if resent:  # the new delivery id of a re-sent submission answers as the first did
            session.execute(_INSERT_DELIVERIES, [
                {"source": items[n].source, "delivery_id": items[n].delivery_id, "body_sha256": items[n].digest,
                 "claim_reference": out[n].reference, "received_at": now} for n in resent])
        if not new:
            return out
        rows = [prepared[n][1] for n in new]
        ids = session.execute(_INSERT_CLAIMS, rows).scalars().all()
        lines = [line for n, claim_id in zip(new, ids, strict=True)
                 for line in expense_rows(claim_id, prepared[n][0], items[n].source)]
        if lines:
            session.execute(_INSERT_LINES, lines)
            for n, claim_id in zip(new, ids, strict=True):
                _queue_fetches(session, claim_id, prepared[n][0], items[n].source)
        audit.record(session, [audit.Change("claim", r["reference"], "submit", audit.SYSTEM, None,
                                            "submitted", data={"source": r["source"]}) for r in rows])
        session.execute(_INSERT_DELIVERIES, [
            {"source": items[n].source, "delivery_id": items[n].delivery_id, "body_sha256": items[n].digest,
             "claim_reference": prepared[n][1]["reference"], "received_at": now} for n in new])
        faults.point("intake.before_commit")
    faults.point("intake.after_commit")
    for n in new:
        out[n] = IntakeResult(prepared[n][1]["reference"], "submitted", created=True)
    return out
