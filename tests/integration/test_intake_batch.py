"""Group commit at intake: `accept_claims` answers each delivery exactly as `accept_claim` would,
in one transaction, and the GroupCommitter behind the webhook stores concurrent deliveries once each."""
from __future__ import annotations

import asyncio
import copy
import json
from datetime import date, timedelta

from sqlalchemy import func, select

from involve import audit
from involve.db import reader
from involve.errors import DuplicateDelivery, InvalidClaim
from involve.services.group_commit import GroupCommitter
from involve.services.intake import (
    Incoming,
    IntakeResult,
    accept_claim,
    accept_claims,
    body_digest,
)
from models import Claim, Delivery


def _item(claim: dict, delivery: str) -> Incoming:
    return Incoming(claim, delivery, body_digest(json.dumps(claim, sort_keys=True).encode()))


def _claim(example: dict, n: int) -> dict:
    c = copy.deepcopy(example)
    c["submission_id"] = f"batch-{n}"
    c["activity"]["date"] = (date.today() - timedelta(days=1 + n % 20)).isoformat()
    return c


def _count(model) -> int:
    with reader() as s:
        return s.execute(select(func.count()).select_from(model)).scalar_one()


def test_batch_answers_each_item_as_alone(db, example_claim):
    first = _claim(example_claim, 0)
    stored = accept_claim(payload=first, delivery_id="known", digest=_item(first, "known").digest)
    bad = _claim(example_claim, 1)
    bad["declaration"] = False
    a, b = _claim(example_claim, 2), _claim(example_claim, 3)
    items = [
        _item(a, "a"),                         # new
        _item(first, "known"),                 # stored before, same body: 200 with its reference
        _item(b, "known"),                     # stored before, other body: DuplicateDelivery
        _item(bad, "bad"),                     # breaks the rules: InvalidClaim, nothing stored
        _item(a, "a"),                         # the same delivery twice in one batch: the first's answer
        _item(b, "a"),                         # same id in the batch, other body: DuplicateDelivery
        _item(bad, "known"),                   # known id beats the rule break, as alone
        _item(b, "b"),                         # new
    ]
    out = accept_claims(items)
    assert isinstance(out[0], IntakeResult) and out[0].created
    assert out[1] == IntakeResult(stored.reference, "submitted", created=False)
    assert isinstance(out[2], DuplicateDelivery)
    assert isinstance(out[3], InvalidClaim)
    assert out[4] == IntakeResult(out[0].reference, "submitted", created=False)
    assert isinstance(out[5], DuplicateDelivery)
    assert isinstance(out[6], DuplicateDelivery)
    assert isinstance(out[7], IntakeResult) and out[7].created and out[7].reference != out[0].reference
    assert _count(Claim) == 3 and _count(Delivery) == 3
    with reader() as s:
        assert audit.verify(s).ok


def test_group_committer_stores_concurrent_deliveries_once(db, example_claim):
    committer = GroupCommitter(max_batch=8)
    claims = [_claim(example_claim, n) for n in range(30)]

    async def main():
        items = [_item(c, f"d{n}") for n, c in enumerate(claims)] + [_item(claims[0], "d0")]
        return await asyncio.gather(*(committer.store(i) for i in items), return_exceptions=True)

    results = asyncio.run(main())
    assert all(isinstance(r, IntakeResult) for r in results)
    assert sum(r.created for r in results) == 30
    assert results[-1].reference == results[0].reference
    assert _count(Claim) == 30 and _count(Delivery) == 30
    with reader() as s:
        v = audit.verify(s)
    assert v.ok and v.count == 30
