"""Intake: validate a canonical claim and store it durably as `submitted`, idempotently.

One transaction writes the delivery, the claim, its expense lines and the audit record; the
caller answers 2xx only after it commits. The same delivery id with the same body returns the
first answer; with a different body it raises DuplicateDelivery. Bank details are encrypted
before they touch the database.
"""
from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import insert, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from involve import audit, crypto
from involve.db import unit_of_work
from involve.domain.claim_schema import ClaimIn, parse_claim
from involve.domain.policy import load_policy
from involve.errors import DuplicateDelivery, InvalidClaim, PolicyError
from models import Claim, Delivery, ExpenseLine

_ALPHABET = "23456789ABCDEFGHJKLMNPQRSTUVWXYZ"


def new_reference(prefix: str = "CLM") -> str:
    return f"{prefix}-" + "".join(secrets.choice(_ALPHABET) for _ in range(8))


@dataclass(frozen=True)
class IntakeResult:
    reference: str
    status: str
    created: bool


def body_digest(body: bytes) -> str:
    return hashlib.sha256(body).hexdigest()


def check_policy_covers(claim: ClaimIn) -> None:
    try:
        load_policy().period_for(claim.activity.date)
    except PolicyError as exc:
        raise InvalidClaim([{"field": "activity.date", "message": str(exc)}]) from None


def claim_row(claim: ClaimIn, *, reference: str, source: str, now: datetime) -> dict:
    pay = claim.payment
    row = {
        "reference": reference, "status": "submitted", "source": source, "submission_id": claim.submission_id,
        "claimant_name": claim.claimant.name, "claimant_email": claim.claimant.email,
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


def store_claim(session: Session, claim: ClaimIn, *, source: str, actor: str = audit.SYSTEM,
                reference: str | None = None) -> str:
    """Insert a validated claim as `submitted` with its audit record; returns the reference."""
    now = datetime.now(UTC)
    reference = reference or new_reference()
    claim_id = session.execute(insert(Claim).returning(Claim.id),
                               [claim_row(claim, reference=reference, source=source, now=now)]).scalar_one()
    if claim.expenses:
        session.execute(insert(ExpenseLine), [
            {"claim_id": claim_id, "line_no": i, "kind": e.kind, "claimed_amount": e.amount, "miles": e.miles,
             "passengers": e.passengers, "vehicle": e.vehicle, "description": e.description,
             "receipt": e.receipt, "amount": None}
            for i, e in enumerate(claim.expenses, start=1)])
    audit.record(session, [audit.Change("claim", reference, "submit", actor, None, "submitted",
                                        data={"source": source})])
    return reference


def accept_claim(*, payload: object, delivery_id: str, digest: str, source: str = "webhook") -> IntakeResult:
    """Validate and store; idempotent on (source, delivery_id). Raises InvalidClaim, DuplicateDelivery."""
    for attempt in (1, 2):
        try:
            with unit_of_work() as session:
                seen = session.execute(select(Delivery).where(Delivery.source == source,
                                                              Delivery.delivery_id == delivery_id)).scalar_one_or_none()
                if seen is not None:
                    if seen.body_sha256 != digest:
                        raise DuplicateDelivery(f"delivery {delivery_id} was received before with a different body")
                    return IntakeResult(seen.claim_reference, "submitted", created=False)
                claim = parse_claim(payload)
                check_policy_covers(claim)
                reference = store_claim(session, claim, source=source)
                session.execute(insert(Delivery), [{"source": source, "delivery_id": delivery_id,
                                                    "body_sha256": digest, "claim_reference": reference,
                                                    "received_at": datetime.now(UTC)}])
            return IntakeResult(reference, "submitted", created=True)
        except IntegrityError:
            if attempt == 2:
                raise
    raise AssertionError("unreachable")
