"""Shared set-up for the finance tests: staff, approved claims, the outbox, a SQL sum."""
from __future__ import annotations

import copy
from datetime import date, timedelta
from decimal import Decimal

from sqlalchemy import select, text

from involve.db import reader
from involve.services import claims, processing
from models import Claim, OutboxEmail
from tests.integration.test_lifecycle import COORD, FIN, FIN2, LEAD, setup_people, submit  # noqa: F401

MONDAY = date(2026, 11, 16)


def claim_for(example: dict, n: int, *, email: str = "sam.okafor@example.org", bank: dict | None = None,
              method: str | None = "bank_transfer", day: date | None = None) -> dict:
    c = copy.deepcopy(example)
    c["submission_id"] = f"sub-{n}-{email}"
    c["claimant"]["email"] = email
    c["activity"]["date"] = (day or MONDAY - timedelta(days=n // 4)).isoformat()
    start = 8 + (n % 4) * 3
    c["activity"]["start"], c["activity"]["end"] = f"{start:02d}:00", f"{start + 2:02d}:30"
    if method is None:
        c.pop("payment", None)
    else:
        c["payment"] = {"method": method, **(bank if bank is not None else c["payment"])}
        c["payment"]["method"] = method
    return c


def approved(example: dict, count: int, start: int = 0, **kw) -> list[str]:
    refs = [submit(claim_for(example, n, **kw), f"d-{n}-{kw.get('email', 'sam')}").reference
            for n in range(start, start + count)]
    processing.process_batch()
    for ref in refs:
        claims.approve(ref, by=LEAD)
    return refs


def mails(template: str) -> list[OutboxEmail]:
    with reader() as s:
        return list(s.execute(select(OutboxEmail).where(OutboxEmail.template == template)
                              .order_by(OutboxEmail.id)).scalars())


def get(ref: str) -> Claim:
    with reader() as s:
        return s.execute(select(Claim).where(Claim.reference == ref)).scalar_one()


def sql_money(query: str, **params) -> Decimal:
    with reader() as s:
        value = s.execute(text(query), params).scalar_one()
    return Decimal(value or 0).quantize(Decimal("0.01"))


def link_in(mail: OutboxEmail, key: str) -> str:
    return mail.context[key].rsplit("/act/", 1)[1]
