"""Helpers for the security tests: an in-process app and signed canonical webhooks."""
from __future__ import annotations

import json
from datetime import date, timedelta

from tests.integration.test_webhooks import signed


def recent(claim: dict) -> dict:
    claim["activity"]["date"] = (date.today() - timedelta(days=2)).isoformat()
    return claim


def post_claim(client, claim: dict, msg_id: str):
    body = json.dumps(claim).encode()
    return client.post("/webhooks/claims", content=body, headers=signed(body, msg_id=msg_id))
