"""Claim webhooks: canonical (Standard Webhooks), Typeform and Tally. All take one path into intake.

Order of checks: size (413), signature (401), content type and JSON (415), then intake
(422 for rule breaks or a reused delivery id with another body). A 2xx is sent only after the
claim is committed; a database failure answers 503.
"""
from __future__ import annotations

import json
from functools import lru_cache

from fastapi import APIRouter, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse
from sqlalchemy.exc import SQLAlchemyError
from standardwebhooks.webhooks import Webhook, WebhookVerificationError

from involve.errors import InvolveError
from involve.intake import providers
from involve.services.intake import accept_claim, body_digest
from involve.settings import settings
from involve.web.problems import from_error, problem

MAX_BODY = 64 * 1024
router = APIRouter(prefix="/webhooks", tags=["webhooks"])


class BodyTooLarge(Exception):
    pass


async def read_body(request: Request) -> bytes:
    declared = request.headers.get("content-length")
    if declared and declared.isdigit() and int(declared) > MAX_BODY:
        raise BodyTooLarge
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > MAX_BODY:
            raise BodyTooLarge
        chunks.append(chunk)
    return b"".join(chunks)


@lru_cache(maxsize=4)
def _webhook(secret: str) -> Webhook:
    return Webhook(secret)


def _is_json(request: Request) -> bool:
    ctype = request.headers.get("content-type", "").split(";")[0].strip().lower()
    return ctype == "application/json" or (ctype.startswith("application/") and ctype.endswith("+json"))


async def _intake(request: Request, payload: object, delivery_id: str, digest: str, source: str) -> JSONResponse:
    try:
        result = await run_in_threadpool(accept_claim, payload=payload, delivery_id=delivery_id, digest=digest,
                                          source=source)
    except InvolveError as exc:
        return from_error(exc)
    except SQLAlchemyError:
        return problem(503, "Service unavailable", "The claim could not be stored. Please send it again.")
    if result.created:
        wake = getattr(request.app.state, "wake", None)
        if wake:
            wake()
    return JSONResponse({"reference": result.reference, "status": result.status},
                        status_code=202 if result.created else 200)


def _too_large() -> JSONResponse:
    return problem(413, "Body too large", f"A claim must be at most {MAX_BODY // 1024} KiB.")


def _not_json() -> JSONResponse:
    return problem(415, "Unsupported media type", "Send the claim as JSON with Content-Type: application/json.")


@router.post("/claims", status_code=202, responses={200: {}, 401: {}, 413: {}, 415: {}, 422: {}, 503: {}})
async def claims_webhook(request: Request) -> JSONResponse:
    """A claim in the canonical JSON, signed per Standard Webhooks."""
    try:
        body = await read_body(request)
    except BodyTooLarge:
        return _too_large()
    headers = {k: request.headers.get(k, "") for k in ("webhook-id", "webhook-timestamp", "webhook-signature")}
    missing = [k for k, v in headers.items() if not v]
    if missing:
        return problem(401, "Signature missing", f"Missing header {missing[0]}.")
    try:
        _webhook(settings.resolved_webhook_secret).verify(body, headers)
    except WebhookVerificationError as exc:
        return problem(401, "Signature not valid", str(exc) or "The signature does not match.")
    except ValueError:
        pass  # signature good; the body is not JSON, which is reported next
    if not _is_json(request):
        return _not_json()
    try:
        payload = json.loads(body)
    except ValueError:
        return _not_json()
    return await _intake(request, payload, headers["webhook-id"], body_digest(body), "webhook")


async def _provider(request: Request, name: str, secret: str | None, header: str, verify, to_claim):
    if not secret:
        return problem(503, "Not configured", f"The {name} adapter has no signing secret "
                                              f"(INVOLVE_{name.upper()}_SECRET).")
    try:
        body = await read_body(request)
    except BodyTooLarge:
        return _too_large()
    try:
        verify(body, request.headers.get(header), secret)
    except providers.SignatureInvalid as exc:
        return problem(401, "Signature not valid", str(exc))
    if not _is_json(request):
        return _not_json()
    try:
        payload = json.loads(body)
    except ValueError:
        return _not_json()
    try:
        delivery_id, claim = to_claim(payload, _mapping())
    except providers.ProviderPayloadError as exc:
        return problem(422, "Not a form submission", str(exc), errors=[{"field": "body", "message": str(exc)}])
    return await _intake(request, claim, delivery_id, body_digest(body), name)


@lru_cache(maxsize=1)
def _mapping():
    return providers.load_mapping(settings.provider_mapping_file)


@router.post("/claims/typeform", status_code=202, responses={200: {}, 401: {}, 415: {}, 422: {}, 503: {}})
async def typeform_webhook(request: Request) -> JSONResponse:
    """A Typeform response webhook (Typeform-Signature), mapped to the canonical claim."""
    return await _provider(request, "typeform", settings.typeform_secret, "Typeform-Signature",
                           providers.verify_typeform, providers.typeform_to_claim)


@router.post("/claims/tally", status_code=202, responses={200: {}, 401: {}, 415: {}, 422: {}, 503: {}})
async def tally_webhook(request: Request) -> JSONResponse:
    """A Tally form webhook (Tally-Signature), mapped to the canonical claim."""
    return await _provider(request, "tally", settings.tally_secret, "Tally-Signature",
                           providers.verify_tally, providers.tally_to_claim)
