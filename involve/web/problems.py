"""RFC 9457 problem+json responses, and the mapping from involve's exceptions to HTTP statuses."""
from __future__ import annotations

from fastapi.responses import JSONResponse

from involve.errors import (
    DuplicateDelivery,
    InvalidClaim,
    InvolveError,
    LinkInvalid,
    NotAllowed,
    NotFound,
    WrongState,
)

STATUS = {InvalidClaim: 422, DuplicateDelivery: 422, NotFound: 404, NotAllowed: 403, WrongState: 409,
          LinkInvalid: 410}


def problem(status: int, title: str, detail: str | None = None, **extra) -> JSONResponse:
    body = {"type": "about:blank", "title": title, "status": status}
    if detail:
        body["detail"] = detail
    body.update(extra)
    return JSONResponse(body, status_code=status, media_type="application/problem+json")


def from_error(exc: InvolveError) -> JSONResponse:
    status = next((s for cls, s in STATUS.items() if isinstance(exc, cls)), 400)
    extra = {"errors": exc.errors} if isinstance(exc, InvalidClaim) else {}
    title = "The claim breaks the claim rules" if isinstance(exc, InvalidClaim) else type(exc).__name__
    return problem(status, title, str(exc), **extra)


RETRY_AFTER_SECONDS = 30


def unavailable(detail: str) -> JSONResponse:
    """503 when the database does not answer (or stays locked): problem+json with Retry-After, so a
    webhook sender retries later; nothing was stored."""
    resp = problem(503, "Service unavailable", detail)
    resp.headers["Retry-After"] = str(RETRY_AFTER_SECONDS)
    return resp
