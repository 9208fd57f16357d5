"""`POST /webhooks/claims` without FastAPI's routing: intake's hot path (issue 17, part 6).

A profile of intake under load put FastAPI's per-request machinery (route matching, the request
and dependency objects, its exception wrappers) at about a fifth of the process's CPU. So
`InvolveApp` answers exactly `POST /webhooks/claims` with a plain ASGI endpoint, still inside the
same error handler (ServerErrorMiddleware with the app's 500 handler) and the app's own middleware
(`app.add_middleware`: body limit, compression, security headers, language), in the same order
as FastAPI's stack; every other request takes FastAPI's whole stack. The checks and the answer
are `webhooks.answer_canonical`, shared with the FastAPI route, which stays registered: it is the
OpenAPI description (schemathesis checks it) and answers anything the fast path leaves to it
(another method, a trailing slash).
"""
from __future__ import annotations

from fastapi import FastAPI
from starlette.middleware.errors import ServerErrorMiddleware
from starlette.types import ASGIApp, Receive, Scope, Send

from involve.web import webhooks
from involve.web.bodylimit import BodyTooLarge, read_raw

PATH = "/webhooks/claims"
_WANTED = frozenset(name.encode() for name in (*webhooks.WEBHOOK_HEADERS, "content-type"))


def _headers(raw: list[tuple[bytes, bytes]]) -> dict[str, str]:
    """The first value of each header the webhook reads, as Starlette's `Headers.get` gives it."""
    out: dict[str, str] = {}
    for key, value in raw:
        if key in _WANTED:
            name = key.decode("latin-1")
            if name not in out:
                out[name] = value.decode("latin-1")
    return out


async def claims_endpoint(scope: Scope, receive: Receive, send: Send) -> None:
    """The canonical claim webhook as a plain ASGI app (what `webhooks.claims_webhook` does)."""
    try:
        body = await read_raw(scope, receive, webhooks.MAX_BODY)
    except BodyTooLarge:
        response = webhooks._too_large()
    else:
        response = await webhooks.answer_canonical(body, _headers(scope["headers"]), scope["app"])
    await response(scope, receive, send)


def _exception_telemetry(app: ASGIApp) -> ASGIApp:
    """FastAPI's own exception telemetry layer, as its stack has it (a no-op unless OpenTelemetry
    is configured); left out if a FastAPI version has none."""
    try:
        from fastapi.telemetry._asgi import ExceptionTelemetryMiddleware
    except ImportError:
        return app
    return ExceptionTelemetryMiddleware(app)


class InvolveApp(FastAPI):
    """FastAPI, with `POST /webhooks/claims` served by `claims_endpoint` (see the module docstring)."""

    def build_middleware_stack(self) -> ASGIApp:
        full = super().build_middleware_stack()
        fast: ASGIApp = claims_endpoint
        for middleware in reversed(self.user_middleware):
            fast = middleware.cls(fast, *middleware.args, **middleware.kwargs)
        handler = next((h for key, h in self.exception_handlers.items() if key in (500, Exception)), None)
        fast = ServerErrorMiddleware(_exception_telemetry(fast), handler=handler, debug=self.debug)
        return _Dispatch(fast, full)


class _Dispatch:
    def __init__(self, fast: ASGIApp, full: ASGIApp) -> None:
        self.fast, self.full = fast, full

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["path"] == PATH and scope["method"] == "POST" \
                and not scope.get("root_path"):
            await self.fast(scope, receive, send)
        else:
            await self.full(scope, receive, send)
