"""The webhook endpoints in-process (ASGI), on SQLite and PostgreSQL: every response case of the contract."""
from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
from datetime import date, timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from involve.db import reader
from involve.web.app import create_app
from models import Claim
from tests.conftest import WEBHOOK_SECRET
from tests.unit.test_providers import tally_payload, typeform_payload

TF_SECRET, TALLY_SECRET = "typeform-secret-for-tests", "tally-secret-for-tests"


@pytest.fixture
def client(db, monkeypatch):
    monkeypatch.setenv("INVOLVE_TYPEFORM_SECRET", TF_SECRET)
    monkeypatch.setenv("INVOLVE_TALLY_SECRET", TALLY_SECRET)
    from involve.settings import reset_settings

    reset_settings()
    with TestClient(create_app()) as c:
        yield c


def signed(body: bytes, msg_id: str = "msg_1", ts: int | None = None, secret: str = WEBHOOK_SECRET) -> dict:
    ts = int(time.time()) if ts is None else ts
    key = base64.b64decode(secret.removeprefix("whsec_"))
    sig = base64.b64encode(hmac.new(key, f"{msg_id}.{ts}.".encode() + body, hashlib.sha256).digest()).decode()
    return {"content-type": "application/json", "webhook-id": msg_id, "webhook-timestamp": str(ts),
            "webhook-signature": f"v1,{sig}"}


def claims_count() -> int:
    with reader() as s:
        return s.execute(select(func.count()).select_from(Claim)).scalar_one()


def recent(example: dict) -> dict:
    example["activity"]["date"] = (date.today() - timedelta(days=2)).isoformat()
    return example


def test_canonical_webhook_cases(client, example_claim):
    body = json.dumps(recent(example_claim)).encode()
    r = client.post("/webhooks/claims", content=body, headers=signed(body))
    assert r.status_code == 202 and r.json()["status"] == "submitted"
    again = client.post("/webhooks/claims", content=body, headers=signed(body))
    assert again.status_code == 200 and again.json() == r.json()
    other = json.dumps(dict(example_claim, submission_id="changed")).encode()
    assert client.post("/webhooks/claims", content=other, headers=signed(other)).status_code == 422
    assert claims_count() == 1


@pytest.mark.parametrize(("case", "status"), [
    ("bad_signature", 401), ("old", 401), ("future", 401), ("missing", 401), ("text", 415), ("not_json", 415),
    ("too_big", 413), ("rules", 422),
])
def test_canonical_webhook_refusals_store_nothing(client, example_claim, case, status):
    claim = recent(example_claim)
    body = json.dumps(claim).encode()
    headers = signed(body, msg_id=f"msg_{case}")
    if case == "bad_signature":
        headers = signed(body + b" ", msg_id=f"msg_{case}")  # signed a different body
    elif case == "old":
        headers = signed(body, ts=int(time.time()) - 6 * 60)
    elif case == "future":
        headers = signed(body, ts=int(time.time()) + 6 * 60)
    elif case == "missing":
        headers = {"content-type": "application/json"}
    elif case == "text":
        headers["content-type"] = "text/plain"
    elif case == "not_json":
        body = b"{nope"
        headers = signed(body)
    elif case == "too_big":
        body = b"{" + b" " * (64 * 1024) + b"}"
        headers = signed(body)
    elif case == "rules":
        claim["activity"]["borough"] = "camden"
        body = json.dumps(claim).encode()
        headers = signed(body)
    r = client.post("/webhooks/claims", content=body, headers=headers)
    assert r.status_code == status, r.text
    if status != 413:
        assert r.headers["content-type"].startswith("application/problem+json")
    if case == "rules":
        assert r.json()["errors"] == [{"field": "activity.borough", "message": r.json()["errors"][0]["message"]}]
    assert claims_count() == 0


def _provider_sig(secret: str, body: bytes) -> str:
    return base64.b64encode(hmac.new(secret.encode(), body, hashlib.sha256).digest()).decode()


def test_typeform_webhook(client):
    payload = typeform_payload()
    body = json.dumps(payload).encode()
    headers = {"content-type": "application/json", "Typeform-Signature": "sha256=" + _provider_sig(TF_SECRET, body)}
    r = client.post("/webhooks/claims/typeform", content=body, headers=headers)
    assert r.status_code == 202, r.text
    assert client.post("/webhooks/claims/typeform", content=body, headers=headers).json() == r.json()
    bad = dict(headers, **{"Typeform-Signature": "sha256=" + _provider_sig("wrong", body)})
    assert client.post("/webhooks/claims/typeform", content=body, headers=bad).status_code == 401
    assert claims_count() == 1


def test_tally_webhook(client):
    body = json.dumps(tally_payload()).encode()
    headers = {"content-type": "application/json", "Tally-Signature": _provider_sig(TALLY_SECRET, body)}
    r = client.post("/webhooks/claims/tally", content=body, headers=headers)
    assert r.status_code == 202, r.text
    assert client.post("/webhooks/claims/tally", content=body, headers=headers).status_code == 200
    assert claims_count() == 1


def test_provider_without_secret_answers_503(db):
    with TestClient(create_app()) as c:
        assert c.post("/webhooks/claims/tally", content=b"{}",
                      headers={"content-type": "application/json"}).status_code == 503


def test_health(client):
    assert client.get("/health").json() == {"status": "ok"}
