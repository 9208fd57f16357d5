"""Scenario 9: Schemathesis (pytest plugin, schema loaded from the live server's /openapi.json)
generates requests for every documented operation and checks each answer: no 5xx, status code
and content type documented, body and headers matching the schema. Generated claims are signed
with the server's secret (so they reach intake and its 422s and 202s); the rest go unsigned.
Plus: 413 and 415 hold, and the document declares the webhook answers."""

from __future__ import annotations

import hashlib
import json

import httpx
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from tests.reliability.support import claim, signed_headers

CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
]


def test_every_operation_conforms(server):
    # schemathesis's lazy pytest loader (from_fixture) does not run under pytest 9, so each operation's
    # strategy is driven by Hypothesis here directly; the checks are schemathesis's own
    api = schemathesis.openapi.from_url(server.url + "/openapi.json")
    operations = [r.ok() for r in api.get_all_operations()]
    assert {(o.method.upper(), o.path) for o in operations} >= {
        ("POST", "/webhooks/claims"),
        ("GET", "/health"),
    }
    for operation in operations:

        @given(case=operation.as_strategy())
        @settings(max_examples=30, deadline=None, suppress_health_check=list(HealthCheck), database=None)
        def check(case):
            if (
                case.method.upper() == "POST"
                and case.path == "/webhooks/claims"
                and isinstance(case.body, dict)
            ):
                raw = json.dumps(case.body).encode()
                msg_id = "st_" + hashlib.sha256(raw).hexdigest()[:24]
                response = case.call(headers=signed_headers(server.secret, msg_id, raw), data=raw)
            else:
                response = case.call()
            case.validate_response(response, checks=CHECKS)

        check()


def test_openapi_declares_the_webhook_answers(server):
    doc = httpx.get(server.url + "/openapi.json", timeout=30).json()
    op = doc["paths"]["/webhooks/claims"]["post"]
    assert set(op["responses"]) >= {"200", "202", "401", "413", "415", "422", "503"}
    for code in ("401", "413", "415", "422", "503"):
        assert "application/problem+json" in op["responses"][code]["content"], code
    assert op["requestBody"]["content"]["application/json"]["schema"]["$ref"].endswith("/ClaimIn")
    assert {p["name"] for p in op["parameters"]} == {"webhook-id", "webhook-timestamp", "webhook-signature"}
    assert "ClaimIn" in doc["components"]["schemas"]


def test_413_and_415_hold(server):
    big = json.dumps(dict(claim(0, tag="big"), padding="x" * 70_000)).encode()
    r = httpx.post(
        server.url + "/webhooks/claims",
        content=big,
        headers=signed_headers(server.secret, "st_big", big),
        timeout=30,
    )
    assert r.status_code == 413
    text = b"claimant=Sam"
    h = signed_headers(server.secret, "st_text", text)
    h["content-type"] = "text/plain"
    assert httpx.post(server.url + "/webhooks/claims", content=text, headers=h, timeout=30).status_code == 415
    bad = b"{not json"
    r = httpx.post(
        server.url + "/webhooks/claims",
        content=bad,
        headers=signed_headers(server.secret, "st_bad", bad),
        timeout=30,
    )
    assert r.status_code == 415 and r.headers["content-type"].startswith("application/problem+json")
