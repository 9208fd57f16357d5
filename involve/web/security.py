"""Security headers on every response, and rate limits as one reusable FastAPI dependency.

Headers (a plain ASGI middleware, no per-request task): every response says nosniff and sends no
referrer (action links carry their token in the URL); pages get a Content-Security-Policy that
allows scripts and styles from this site only (no inline script or style anywhere) and no framing;
everything but the static files is `Cache-Control: no-store` (pages and API answers carry
personal data). The API docs (/docs, /redoc) load FastAPI's own CDN scripts, so they keep no CSP.

Rate limits: `rate_limited("form")` is a dependency; it counts requests per client address in a
moving window (the `limits` library, in memory, per app) against INVOLVE_RATE_LIMIT_<NAME>; over
the limit it answers 429 with Retry-After and a plain page.
"""
from __future__ import annotations

import math
import time
from pathlib import Path

from fastapi import Depends, FastAPI, Request
from fastapi.responses import HTMLResponse
from fastapi.staticfiles import StaticFiles
from limits import parse_many
from limits.storage import MemoryStorage
from limits.strategies import MovingWindowRateLimiter

STATIC_DIR = Path(__file__).resolve().parent / "static"
STATIC_PREFIXES = ("/static/", "/static-involve/", "/assets/")
NO_CSP = ("/docs", "/redoc")
CSP = ("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; font-src 'self'; "
       "connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'; object-src 'none'")
COMMON = [(b"x-content-type-options", b"nosniff"), (b"referrer-policy", b"no-referrer")]


class SecurityHeaders:
    def __init__(self, app) -> None:
        self.app = app

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        path = scope.get("path", "")
        static = path.startswith(STATIC_PREFIXES)
        csp = not path.startswith(NO_CSP)

        async def send_with_headers(message):
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                names = {k.lower() for k, _ in headers}
                extra = [h for h in COMMON if h[0] not in names]
                if not static and b"cache-control" not in names:
                    extra.append((b"cache-control", b"no-store"))
                content_type = next((v for k, v in headers if k.lower() == b"content-type"), b"")
                if csp and content_type.startswith(b"text/html"):
                    extra += [(b"content-security-policy", CSP.encode()), (b"x-frame-options", b"DENY")]
                message = dict(message, headers=headers + extra)
            await send(message)

        await self.app(scope, receive, send_with_headers)


def install(app: FastAPI) -> None:
    """Headers on every response, involve's own static files, one rate limiter for this app."""
    app.add_middleware(SecurityHeaders)
    app.mount("/static-involve", StaticFiles(directory=STATIC_DIR), name="involve-static")
    app.state.rate_limiter = MovingWindowRateLimiter(MemoryStorage())


class RateLimited(Exception):
    def __init__(self, retry_after: int) -> None:
        super().__init__(f"too many requests; try again in {retry_after} seconds")
        self.retry_after = retry_after


def _client(request: Request) -> str:
    return request.client.host if request.client else "unknown"


def rate_limited(name: str):
    """A dependency: `dependencies=[rate_limited("form")]` on a route limits it by INVOLVE_RATE_LIMIT_FORM
    per client address (routes sharing a name share the count)."""

    async def check(request: Request) -> None:
        from involve.settings import settings

        limiter = getattr(request.app.state, "rate_limiter", None)
        if limiter is None:
            return
        key = _client(request)
        for item in parse_many(getattr(settings, f"rate_limit_{name}")):
            if not limiter.hit(item, name, key):
                reset = limiter.get_window_stats(item, name, key).reset_time
                raise RateLimited(max(1, math.ceil(reset - time.time())))

    return Depends(check)


async def too_many_requests(request: Request, exc: RateLimited) -> HTMLResponse:
    from involve.web.i18n import _
    from involve.web.pages import render_page

    response = render_page("message.html", 429, title=_("Too many requests"),
                           message=_("Please wait %(n)s seconds, then try again.", n=exc.retry_after))
    response.headers["Retry-After"] = str(exc.retry_after)
    return response
