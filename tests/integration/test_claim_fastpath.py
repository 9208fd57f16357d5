"""Issue 17, part 6: `POST /webhooks/claims` without FastAPI's routing answers exactly what the
FastAPI route answers: status, body and every header, in order (the only difference allowed is the
claim reference a new claim gets)."""
from __future__ import annotations

import asyncio
import json
import re

import pytest
from sqlalchemy.exc import OperationalError

from involve.web import webhooks
from involve.web.app import create_app
from involve.web.claim_fastpath import _Dispatch
from tests.integration.test_webhooks import recent, signed


def call(asgi, app, path: str, headers: dict[str, str], body: bytes, *, query: bytes = b"",
         chunked: bool = False) -> tuple[int, list[tuple[bytes, bytes]], bytes]:
    """One request straight into an ASGI callable: (status, response headers in order, body)."""
    raw = [(k.lower().encode(), v.encode()) for k, v in headers.items()]
    if not chunked:
        raw.append((b"content-length", str(len(body)).encode()))
    parts = [body[i:i + 16384] for i in range(0, len(body), 16384)] or [b""]
    messages = [{"type": "http.request", "body": p, "more_body": i < len(parts) - 1} for i, p in enumerate(parts)]
    out: dict = {"body": b""}

    async def receive():
        return messages.pop(0) if messages else {"type": "http.disconnect"}

    async def send(message):
        if message["type"] == "http.response.start":
            out["status"], out["headers"] = message["status"], list(message.get("headers", []))
        elif message["type"] == "http.response.body":
            out["body"] += message.get("body", b"")

    scope = {"type": "http", "asgi": {"version": "3.0"}, "method": "POST", "path": path,
             "raw_path": path.encode(), "query_string": query, "headers": raw, "http_version": "1.1",
             "scheme": "http", "server": ("testserver", 80), "client": ("127.0.0.1", 1), "root_path": "",
             "app": app, "state": {}}
    try:
        asyncio.run(asgi(scope, receive, send))
    except RuntimeError as exc:  # ServerErrorMiddleware answers 500, then raises again
        if "status" not in out:
            raise
        out["raised"] = str(exc)
    return out["status"], out["headers"], out["body"]


def masked(answer):
    status, headers, body = answer
    return status, headers, re.sub(rb"CLM-[0-9A-Z]{8}", b"CLM-XXXXXXXX", body)


@pytest.fixture
def paths(db):
    app = create_app()
    stack = app.build_middleware_stack()
    assert isinstance(stack, _Dispatch)
    return app, stack.fast, stack.full


def both(paths, path, headers, body, **kw):
    app, fast, full = paths
    return call(fast, app, path, headers, body, **kw), call(full, app, path, headers, body, **kw)


def claim_body(example_claim, n: int) -> bytes:
    return json.dumps(dict(recent(example_claim), submission_id=f"fastpath-{n}")).encode()


def test_a_good_claim_and_its_duplicate(paths, example_claim):
    app, fast, full = paths
    first, second = claim_body(example_claim, 1), claim_body(example_claim, 2)
    new_fast = call(fast, app, "/webhooks/claims", signed(first, msg_id="m1"), first)
    new_full = call(full, app, "/webhooks/claims", signed(second, msg_id="m2"), second)
    assert new_fast[0] == 202 and masked(new_fast) == masked(new_full)
    assert dict(new_fast[1])[b"cache-control"] == b"no-store" and b"content-language" in dict(new_fast[1])
    again_fast, again_full = both(paths, "/webhooks/claims", signed(first, msg_id="m1"), first)
    assert again_fast[0] == 200 and again_fast == again_full and again_fast[2] == new_fast[2]


@pytest.mark.parametrize("case", ["bad signature", "missing header", "not JSON", "declared too large",
                                  "streamed too large", "breaks the rules", "language chosen"])
def test_refusals_and_languages_are_answered_alike(paths, example_claim, case):
    body, query, chunked = claim_body(example_claim, 3), b"", False
    headers = signed(body, msg_id=f"m-{case}")
    if case == "bad signature":
        headers["webhook-signature"] = "v1," + "A" * 44
    elif case == "missing header":
        del headers["webhook-timestamp"]
    elif case == "not JSON":
        body = b"claim=1"
        headers = dict(signed(body, msg_id="m-form"), **{"content-type": "text/plain"})
    elif case.endswith("too large"):
        body = b"x" * (webhooks.MAX_BODY + 1)
        chunked = case.startswith("streamed")
    elif case == "breaks the rules":
        body = json.dumps(dict(json.loads(body), fee={"claimed": "maybe"})).encode()
        headers = signed(body, msg_id="m-rules")
    elif case == "language chosen":
        body = json.dumps({"not": "a claim"}).encode()
        headers = dict(signed(body, msg_id="m-lang"), **{"accept-language": "ur", "cookie": "involve_lang=ro"})
        query = b"lang=ur"
    fast, full = both(paths, "/webhooks/claims", headers, body, query=query, chunked=chunked)
    assert fast == full
    assert fast[0] == {"bad signature": 401, "missing header": 401, "not JSON": 415, "declared too large": 413,
                       "streamed too large": 413, "breaks the rules": 422, "language chosen": 422}[case]
    if case == "language chosen":
        assert (b"set-cookie", b"involve_lang=ur; Max-Age=31536000; Path=/; SameSite=Lax") in fast[1]


@pytest.mark.parametrize("error, status", [(OperationalError("x", {}, Exception("down")), 503),
                                           (RuntimeError("a bug"), 500)])
def test_a_database_failure_and_a_bug_are_answered_alike(paths, example_claim, monkeypatch, error, status):
    async def failing(_item):
        raise error

    monkeypatch.setattr(webhooks._committer, "store", failing)
    body = claim_body(example_claim, 4)
    fast, full = both(paths, "/webhooks/claims", signed(body, msg_id="m-fail"), body)
    assert fast[0] == status and fast == full


def test_only_a_post_to_the_claims_path_takes_the_fast_path(paths):
    app, _fast, _full = paths
    taken = []

    def recorder(name):
        async def record(scope, receive, send):
            taken.append((name, scope["method"], scope["path"]))
        return record

    stack = _Dispatch(recorder("fast"), recorder("full"))
    for method, path in [("POST", "/webhooks/claims"), ("GET", "/webhooks/claims"), ("POST", "/webhooks/claims/"),
                         ("POST", "/webhooks/claims/tally"), ("GET", "/health")]:
        asyncio.run(stack({"type": "http", "method": method, "path": path, "root_path": ""}, None, None))
    assert taken == [("fast", "POST", "/webhooks/claims"), ("full", "GET", "/webhooks/claims"),
                     ("full", "POST", "/webhooks/claims/"), ("full", "POST", "/webhooks/claims/tally"),
                     ("full", "GET", "/health")]
