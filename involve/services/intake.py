"""Intake: validate a canonical claim and store it durably as `submitted`, idempotently.

One transaction writes the delivery, the claim, its expense lines and the audit record; the
caller answers 2xx only after it commits. The same delivery id with the same body returns the
first answer; with a different body it raises DuplicateDelivery. Bank details are encrypted
before they touch the database.
"""
from __future__ import annotations

import asyncio
import hashlib
import queue
import secrets
import threading
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import insert, select
from sqlalchemy.exc import IntegrityError, SQLAlchemyError
from sqlalchemy.orm import Session

from involve import audit, crypto, faults
from involve.db import unit_of_work
from involve.domain.claim_schema import ClaimIn, parse_claim
from involve.domain.policy import Policy, load_policy
from involve.domain.transitions import next_status
from involve.errors import DuplicateDelivery, InvalidClaim, PolicyError
from models import Claim, Delivery, ExpenseLine

_ALPHABET = "23456789ABCDEFGHJKLMNPQRSTUVWXYZ"


def new_reference(prefix: str = "CLM") -> str:
    # 32 symbols: each random byte's low 5 bits pick one uniformly (one urandom call, not eight)
    return f"{prefix}-" + "".join(_ALPHABET[b & 31] for b in secrets.token_bytes(8))


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
        "fee_claimed": claim.fee.claimed, "payment_method": pay.method if pay else None,
        "bank_details_encrypted": None, "bank_details_masked": None, "flags": [], "submitted_at": now,
        "expenses_only": False,
    }
    if pay and pay.has_bank_details:
        row["bank_details_encrypted"] = crypto.encrypt_json(
            {"account_name": pay.account_name, "sort_code": pay.sort_code, "account_number": pay.account_number})
        row["bank_details_masked"] = crypto.mask_account(pay.account_number)
    return row


_CLAIMS, _LINES, _DELIVERIES = Claim.__table__, ExpenseLine.__table__, Delivery.__table__


def expense_rows(claim_id: int, claim: ClaimIn) -> list[dict]:
    """The `expense_lines` rows of a validated claim (amounts are worked out by processing)."""
    return [{"claim_id": claim_id, "line_no": i, "kind": e.kind, "claimed_amount": e.amount, "miles": e.miles,
             "passengers": e.passengers, "vehicle": e.vehicle, "description": e.description,
             "receipt": e.receipt, "amount": None}
            for i, e in enumerate(claim.expenses, start=1)]


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
        session.execute(insert(_LINES), expense_rows(claim_id, claim))
    audit.record(session, [audit.Change("claim", reference, action, actor, None, row["status"],
                                        data={"source": source})])
    return reference


def accept_claim(*, payload: object, delivery_id: str, digest: str, source: str = "webhook") -> IntakeResult:
    """Validate and store; idempotent on (source, delivery_id). Raises InvalidClaim, DuplicateDelivery."""
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


def _prepare(item: Incoming, policy: Policy | None) -> tuple[ClaimIn | None, dict | None, Exception | None]:
    try:
        claim = parse_claim(item.payload)
        check_policy_covers(claim, policy)
        row = claim_row(claim, reference=new_reference(), source=item.source, now=datetime.now(UTC))
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
    prepared = [_prepare(item, policy) for item in items]  # no database: before the write lock
    try:
        return _store_batch(items, prepared)
    except IntegrityError:
        out: list[IntakeResult | Exception] = []
        for item in items:
            try:
                out.append(accept_claim(payload=item.payload, delivery_id=item.delivery_id,
                                        digest=item.digest, source=item.source))
            except SQLAlchemyError:
                raise
            except Exception as exc:  # noqa: BLE001 - that item's own answer, as when alone
                out.append(exc)
        return out


def _store_batch(items: list[Incoming], prepared: list) -> list[IntakeResult | Exception]:
    out: list[IntakeResult | Exception | None] = [None] * len(items)
    with unit_of_work() as session:
        known: dict[tuple[str, str], tuple[str, str]] = {}  # (source, id) -> (digest, reference)
        for source in {i.source for i in items}:
            ids = list({i.delivery_id for i in items if i.source == source})
            d = _DELIVERIES.c
            stmt = select(d.delivery_id, d.body_sha256, d.claim_reference).where(d.source == source,
                                                                                d.delivery_id.in_(ids))
            for r in session.execute(stmt):
                known[(source, r.delivery_id)] = (r.body_sha256, r.claim_reference)
        new: list[int] = []
        now = datetime.now(UTC)
        for n, (item, (_claim, row, invalid)) in enumerate(zip(items, prepared, strict=True)):
            seen = known.get((item.source, item.delivery_id))
            if seen is not None:
                out[n] = (IntakeResult(seen[1], "submitted", created=False) if seen[0] == item.digest else
                          DuplicateDelivery(f"delivery {item.delivery_id} was received before "
                                            "with a different body"))
            elif invalid is not None:
                out[n] = invalid
            else:
                row["submitted_at"] = now
                known[(item.source, item.delivery_id)] = (item.digest, row["reference"])
                new.append(n)
        if not new:
            return out
        rows = [prepared[n][1] for n in new]
        ids = session.execute(insert(_CLAIMS).returning(_CLAIMS.c.id, sort_by_parameter_order=True),
                              rows).scalars().all()
        lines = [{"claim_id": claim_id, "line_no": i, "kind": e.kind, "claimed_amount": e.amount,
                  "miles": e.miles, "passengers": e.passengers, "vehicle": e.vehicle,
                  "description": e.description, "receipt": e.receipt, "amount": None}
                 for n, claim_id in zip(new, ids, strict=True)
                 for i, e in enumerate(prepared[n][0].expenses, start=1)]
        if lines:
            session.execute(insert(_LINES), lines)
        audit.record(session, [audit.Change("claim", r["reference"], "submit", audit.SYSTEM, None,
                                            "submitted", data={"source": r["source"]}) for r in rows])
        session.execute(insert(_DELIVERIES), [
            {"source": items[n].source, "delivery_id": items[n].delivery_id, "body_sha256": items[n].digest,
             "claim_reference": prepared[n][1]["reference"], "received_at": now} for n in new])
        faults.point("intake.before_commit")
    faults.point("intake.after_commit")
    for n in new:
        out[n] = IntakeResult(prepared[n][1]["reference"], "submitted", created=True)
    return out


class GroupCommitter:
    """A writer thread that stores deliveries through `accept_claims`, taking whatever has queued
    while the previous transaction ran: one request alone is stored at once (no added wait); under
    load, one transaction, one audit-head update and one commit serve many requests. Every caller
    still gets its answer only after its own claim is committed."""

    def __init__(self, max_batch: int = 200) -> None:
        self.max_batch = max_batch
        self._queue: queue.SimpleQueue = queue.SimpleQueue()
        self._thread: threading.Thread | None = None
        self._start_lock = threading.Lock()

    async def store(self, item: Incoming) -> IntakeResult:
        """Store `item` (raises what `accept_claim` raises); returns once it is committed."""
        loop = asyncio.get_running_loop()
        fut = loop.create_future()
        if self._thread is None:
            with self._start_lock:
                if self._thread is None:
                    self._thread = threading.Thread(target=self._run, name="involve-intake", daemon=True)
                    self._thread.start()
        self._queue.put((item, loop, fut))
        return await fut

    def _run(self) -> None:
        while True:
            batch = [self._queue.get()]
            while len(batch) < self.max_batch:
                try:
                    batch.append(self._queue.get_nowait())
                except queue.Empty:
                    break
            try:
                results: list = accept_claims([item for item, _, _ in batch])
            except BaseException as exc:  # noqa: BLE001 - each caller gets the failure (503)
                results = [exc] * len(batch)
            by_loop: dict = {}
            for (_, loop, fut), result in zip(batch, results, strict=True):
                by_loop.setdefault(loop, []).append((fut, result))
            for loop, answers in by_loop.items():  # one wake-up of each event loop per batch
                try:
                    loop.call_soon_threadsafe(_answer, answers)
                except RuntimeError:  # that loop has closed: nobody is waiting any more
                    pass


def _answer(answers: list) -> None:
    for fut, result in answers:
        if fut.done():  # the caller went away
            continue
        if isinstance(result, BaseException):
            fut.set_exception(result)
        else:
            fut.set_result(result)
