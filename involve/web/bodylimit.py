"""Every request body is bounded before it is read.

`BodyLimitMiddleware` wraps the ASGI `receive` of every request: a declared `Content-Length` over
the limit for its path is answered 413 before the endpoint runs, and a body that streams past the
limit (chunked, or a lying length) stops the read and answers 413 — so no endpoint, form or JSON,
can be made to hold more than its limit in memory. `read_body` is the one helper endpoints use to
read a raw body with a lower limit of their own (the webhooks: 64 KiB).
"""
from __future__ import annotations

from fastapi import Request
from starlette.requests import ClientDisconnect
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from involve.receipt_files import MAX_BYTES, MAX_FILES
from involve.web.problems import problem

DEFAULT_LIMIT = 256 * 1024  # recruitment JSON with a job description; forms are far smaller
# pages whose forms carry receipt files (their endpoints bound the body again, so a refused file is named)
UPLOADS = (MAX_FILES + 3) * MAX_BYTES
LIMITS = {"/webhooks/": 64 * 1024, "/api/recruitments": 256 * 1024, "/claim/expenses": UPLOADS,
          "/claims/upload/": UPLOADS, "/claims/mine/": UPLOADS}


class BodyTooLarge(Exception):
    """The request body is larger than its limit (answer 413)."""

    def __init__(self, limit: int) -> None:
        super().__init__(f"body over {limit} bytes")
        self.limit = limit


def limit_for(path: str) -> int:
    return next((n for prefix, n in LIMITS.items() if path.startswith(prefix)), DEFAULT_LIMIT)


def declared_length(headers: list[tuple[bytes, bytes]]) -> int | None:
    for key, value in headers:
        if key.lower() == b"content-length":
            text = value.decode("latin-1").strip()
            return int(text) if text.isdigit() and len(text) < 19 else None
    return None


def too_large(limit: int) -> object:
    return problem(413, "Body too large", f"The body must be at most {limit // 1024} KiB.")


class BodyLimitMiddleware:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        limit = limit_for(scope.get("path", ""))
        declared = declared_length(scope.get("headers", []))
        if declared is not None and declared > limit:
            return await too_large(limit)(scope, receive, send)
        seen = 0
        started = False

        async def bounded_receive() -> Message:
            nonlocal seen
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > limit:
                    raise BodyTooLarge(limit)
            return message

        async def tracking_send(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, bounded_receive, tracking_send)
        except BodyTooLarge as exc:
            if started:
                raise
            await too_large(exc.limit)(scope, receive, send)


async def read_body(request: Request, limit: int) -> bytes:
    """The raw body, read in chunks and refused (BodyTooLarge) as soon as it passes `limit`."""
    return await read_raw(request.scope, request.receive, limit)


async def read_raw(scope: Scope, receive: Receive, limit: int) -> bytes:
    """`read_body` for a plain ASGI endpoint (involve/web/claim_fastpath.py): the declared length
    first, then each chunk as it arrives; ClientDisconnect if the client goes away."""
    declared = declared_length(scope.get("headers", []))
    if declared is not None and declared > limit:
        raise BodyTooLarge(limit)
    chunks, size = [], 0
    while True:
        message = await receive()
        if message["type"] == "http.request":
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > limit:
                raise BodyTooLarge(limit)
            chunks.append(chunk)
            if not message.get("more_body", False):
                return b"".join(chunks)
        elif message["type"] == "http.disconnect":
            raise ClientDisconnect()
