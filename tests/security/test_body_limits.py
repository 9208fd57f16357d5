"""Issue 18, item 5: every request body is bounded before it is read (a middleware for every
endpoint, and one bounded reader); POST /api/recruitments checks the token before the body."""
from __future__ import annotations

import asyncio

import pytest

from involve.services.staff_tokens import issue_token
from involve.web.app import create_app
from involve.web.bodylimit import DEFAULT_LIMIT
from tests.integration.test_lifecycle import COORD, setup_people

CHUNK = 64 * 1024


def call(app, method: str, path: str, headers: dict[str, str], total: int) -> tuple[int, int]:
    """Send a streamed (chunked) body of `total` bytes straight into the ASGI app; returns
    (status, bytes the app pulled)."""
    pulled = 0

    async def receive():
        nonlocal pulled
        if pulled >= total:
            return {"type": "http.disconnect"}
        n = min(CHUNK, total - pulled)
        pulled += n
        return {"type": "http.request", "body": b"x" * n, "more_body": pulled < total}

    status = []

    async def send(message):
        if message["type"] == "http.response.start":
            status.append(message["status"])

    scope = {"type": "http", "method": method, "path": path, "raw_path": path.encode(), "query_string": b"",
             "headers": [(k.lower().encode(), v.encode()) for k, v in headers.items()], "http_version": "1.1",
             "scheme": "http", "server": ("testserver", 80), "client": ("127.0.0.1", 1), "root_path": "",
             "app": app}
    asyncio.run(app(scope, receive, send))
    return status[0], pulled


@pytest.fixture
def app(db):
    return create_app()


def test_recruitment_api_checks_the_token_before_reading_the_body(app):
    status, pulled = call(app, "POST", "/api/recruitments", {"content-type": "application/json"}, 50 * 2 ** 20)
    assert status == 401 and pulled == 0


def test_recruitment_api_stops_reading_a_streamed_body_at_its_limit(app):
    setup_people()
    token = issue_token(COORD, by=COORD)
    headers = {"content-type": "application/json", "authorization": f"Bearer {token}"}
    status, pulled = call(app, "POST", "/api/recruitments", headers, 50 * 2 ** 20)
    assert status == 413 and pulled <= 256 * 1024 + CHUNK


def test_a_declared_length_over_the_limit_is_refused_before_reading(app):
    headers = {"content-type": "application/json", "content-length": str(10 * 2 ** 20)}
    status, pulled = call(app, "POST", "/api/recruitments", headers, 10 * 2 ** 20)
    assert status == 413 and pulled == 0


@pytest.mark.parametrize("path", ["/claim/check", "/claim/about-you", "/staff/sign-in", "/act/whatever",
                                  "/staff/finance/run", "/webhooks/claims/tally"])
def test_every_form_endpoint_is_bounded(app, path):
    headers = {"content-type": "application/x-www-form-urlencoded"}
    status, pulled = call(app, "POST", path, headers, 20 * 2 ** 20)
    assert pulled <= DEFAULT_LIMIT + CHUNK
    assert status in (413, 400, 401, 403, 404, 303, 415, 503)
