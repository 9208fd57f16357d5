"""Claim webhooks: canonical (Standard Webhooks), Typeform and Tally. All take one path into intake.

Order of checks: size (413), signature (401), content type and JSON (415), then intake
(422 for rule breaks or a reused delivery id with another body). A 2xx is sent only after the
claim is committed; a database failure answers 503.
"""
from __future__ import annotations

import base64
import json
import logging
from collections.abc import Mapping
from functools import lru_cache

from fastapi import APIRouter, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse
from sqlalchemy.exc import SQLAlchemyError
from standardwebhooks.webhooks import Webhook, WebhookVerificationError

from involve.errors import IntakeUnavailable, InvolveError
from involve.intake import providers
from involve.services.group_commit import GroupCommitter
from involve.services.intake import Incoming, body_digest
from involve.settings import settings
from involve.web import bodylimit
from involve.web.bodylimit import BodyTooLarge
from involve.web.problems import from_error, problem, unavailable

MAX_BODY = 64 * 1024
router = APIRouter(prefix="/webhooks", tags=["webhooks"])
log = logging.getLogger("involve.webhooks")


# ---- the OpenAPI description of the webhook answers (what schemathesis checks the server against)
PROBLEM_SCHEMA = {
    "type": "object", "required": ["type", "title", "status"],
    "properties": {
        "type": {"type": "string"}, "title": {"type": "string"}, "status": {"type": "integer"},
        "detail": {"type": "string"},
        "errors": {"type": "array", "items": {
            "type": "object", "required": ["field", "message"],
            "properties": {"field": {"type": "string"}, "message": {"type": "string"}}}},
    },
}
ANSWER_SCHEMA = {"type": "object", "required": ["reference", "status"],
                 "properties": {"reference": {"type": "string"},
                                "status": {"type": "string", "enum": ["submitted"]}}}


def _problem(description: str, **extra) -> dict:
    return {"description": description, "content": {"application/problem+json": {"schema": PROBLEM_SCHEMA}},
            **extra}


def responses(*extra: int) -> dict:
    out = {
        202: {"description": "New claim, stored durably (committed)",
              "content": {"application/json": {"schema": ANSWER_SCHEMA}}},
        200: {"description": "The same delivery again with the same body: the first answer, no second claim",
              "content": {"application/json": {"schema": ANSWER_SCHEMA}}},
        401: _problem("Missing or bad signature, or timestamp outside 5 minutes; nothing stored"),
        413: {"description": "Body over 64 KiB",
              "content": {"application/problem+json": {"schema": PROBLEM_SCHEMA}}},
        415: _problem("Body not JSON, or not sent as application/json"),
        422: _problem("The claim breaks the claim rules (errors names each field), or a delivery id seen "
                      "before with another body"),
        503: _problem("The database is unavailable (or, for a provider adapter, it has no signing secret); "
                      "nothing stored: send again later",
                      headers={"Retry-After": {"schema": {"type": "string"}, "description": "seconds"}}),
    }
    return {k: v for k, v in out.items() if k != 413 or 413 in extra}


def _header(name: str, description: str) -> dict:
    return {"name": name, "in": "header", "required": True, "schema": {"type": "string"},
            "description": description}


CLAIM_REQUEST = {
    "parameters": [_header("webhook-id", "Standard Webhooks delivery id"),
                   _header("webhook-timestamp", "Unix seconds; within 5 minutes of now"),
                   _header("webhook-signature",
                           "v1,<base64 HMAC-SHA256>; several, space-separated, on rotation")],
    "requestBody": {"required": True, "content": {"application/json": {
        "schema": {"$ref": "#/components/schemas/ClaimIn"}}}},
}


def provider_request(header: str) -> dict:
    return {"parameters": [_header(header, "the provider's signature of the raw body")],
            "requestBody": {"required": True,
                            "content": {"application/json": {"schema": {"type": "object"}}}}}


def openapi_components() -> dict:
    """ClaimIn and the models it uses, for #/components/schemas."""
    from involve.domain.claim_schema import ClaimIn

    schema = ClaimIn.model_json_schema(ref_template="#/components/schemas/{model}")
    defs = schema.pop("$defs", {})
    return {"ClaimIn": schema, **defs}


async def read_body(request: Request) -> bytes:
    """The raw body, at most MAX_BODY bytes (the one bounded reader, involve.web.bodylimit)."""
    return await bodylimit.read_body(request, MAX_BODY)


@lru_cache(maxsize=4)
def _webhook(secret: str) -> Webhook:
    return Webhook(secret)


def _well_formed(signature_header: str) -> str:
    """Only the `v1,<base64>` entries; the library gives up on the first malformed one, and one bad
    entry must neither pass nor hide a good one sent beside it (key rotation sends several)."""
    keep = []
    for entry in signature_header.split():
        version, _, value = entry.partition(",")
        try:
            base64.b64decode(value, validate=True)
        except ValueError:
            continue
        if version == "v1" and value:
            keep.append(entry)
    return " ".join(keep)


def verify_signature(secret: str, body: bytes, headers: dict[str, str]) -> str | None:
    """Standard Webhooks verification (the `standardwebhooks` package) over the raw bytes; None when
    valid, else why not. The body is not parsed here, so a body that is not JSON is reported
    separately (415), and a body that is not UTF-8 cannot carry a valid signature (401)."""
    signatures = _well_formed(headers.get("webhook-signature", ""))
    if not signatures:
        return "No well-formed v1 signature in webhook-signature."
    try:
        _webhook(secret).verify(body, dict(headers, **{"webhook-signature": signatures}), json_parse=False)
    except WebhookVerificationError as exc:
        return f"{exc}." if str(exc) else "The signature does not match."
    except UnicodeDecodeError:
        return "The body is not UTF-8, so its signature cannot match."
    return None


_NOT_JSON = object()
_TOO_DEEP = object()


def _json_payload(content_type: str, body: bytes) -> object:
    """The parsed body; _NOT_JSON when it is not sent as JSON or does not parse (415); _TOO_DEEP
    when it nests too deeply for the parser (422, never a 500)."""
    if not _is_json(content_type):
        return _NOT_JSON
    try:
        return json.loads(body)
    except RecursionError:
        return _TOO_DEEP
    except ValueError:
        return _NOT_JSON


def _too_deep() -> JSONResponse:
    message = "nests too deeply to be a claim"
    return problem(422, "The claim breaks the claim rules", f"The body {message}.",
                   errors=[{"field": "body", "message": message}])


def _is_json(content_type: str) -> bool:
    ctype = content_type.split(";")[0].strip().lower()
    return ctype == "application/json" or (ctype.startswith("application/") and ctype.endswith("+json"))


_committer = GroupCommitter()  # in this process's thread: where the app has no writer process (app.state.committer)


async def _intake(app, payload: object, delivery_id: str, digest: str, source: str) -> JSONResponse:
    """Store through the group commit; `app` is the FastAPI app (its state.wake nudges the runner, its
    state.committer stores in intake's writer process: involve/intake_writer.py)."""
    committer = getattr(app.state, "committer", None) or _committer
    try:
        # group commit: stored with whatever else is arriving, answered after its own commit
        result = await committer.store(Incoming(payload, delivery_id, digest, source))
    except IntakeUnavailable as exc:
        return unavailable(str(exc))
    except InvolveError as exc:
        return from_error(exc)
    except SQLAlchemyError as exc:
        log.warning("claim not stored, answering 503: database unavailable (%s)", type(exc).__name__)
        return unavailable("The claim could not be stored. Please send it again.")
    if result.created:
        wake = getattr(app.state, "wake", None)
        if wake:
            wake()
    return JSONResponse({"reference": result.reference, "status": result.status},
                        status_code=202 if result.created else 200)


def _too_large() -> JSONResponse:
    return problem(413, "Body too large", f"A claim must be at most {MAX_BODY // 1024} KiB.")


def _not_json() -> JSONResponse:
    return problem(415, "Unsupported media type", "Send the claim as JSON with Content-Type: application/json.")


@router.post("/claims", status_code=202, responses=responses(413), openapi_extra=CLAIM_REQUEST)
async def claims_webhook(request: Request) -> JSONResponse:
    """A claim in the canonical JSON, signed per Standard Webhooks. (Served by
    `involve.web.claim_fastpath` without FastAPI's routing; this route is its description and its
    fallback, and both answer through `answer_canonical`.)"""
    try:
        body = await read_body(request)
    except BodyTooLarge:
        return _too_large()
    return await answer_canonical(body, request.headers, request.app)


WEBHOOK_HEADERS = ("webhook-id", "webhook-timestamp", "webhook-signature")


async def answer_canonical(body: bytes, request_headers: Mapping[str, str], app) -> JSONResponse:
    """The answer to a canonical claim whose raw body (at most MAX_BODY) is read: the one place for
    the checks after the size, in the module docstring's order. `request_headers`: lower-case
    names, the first value of each (a Starlette `Headers`, or the fast path's dict)."""
    headers = {k: request_headers.get(k, "") for k in WEBHOOK_HEADERS}
    missing = [k for k, v in headers.items() if not v]
    if missing:
        return problem(401, "Signature missing", f"Missing header {missing[0]}.")
    failure = verify_signature(settings.resolved_webhook_secret, body, headers)
    if failure:
        return problem(401, "Signature not valid", failure)
    payload = _json_payload(request_headers.get("content-type", ""), body)
    if payload is _NOT_JSON:
        return _not_json()
    if payload is _TOO_DEEP:
        return _too_deep()
    return await _intake(app, payload, headers["webhook-id"], body_digest(body), "webhook")


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
    payload = await run_in_threadpool(_json_payload, request.headers.get("content-type", ""), body)  # off the loop
    if payload is _NOT_JSON:
        return _not_json()
    if payload is _TOO_DEEP:
        return _too_deep()
    try:
        # mapping answers builds numbers: off the event loop, and bounded (providers.MAX_DIGITS)
        delivery_id, claim = await run_in_threadpool(to_claim, payload, _mapping())
    except providers.ProviderPayloadError as exc:
        return problem(422, "Not a form submission", str(exc), errors=[{"field": "body", "message": str(exc)}])
    return await _intake(request.app, claim, delivery_id, body_digest(body), name)


@lru_cache(maxsize=1)
def _mapping():
    return providers.load_mapping(settings.provider_mapping_file)


@router.post("/claims/typeform", status_code=202, responses=responses(413),
              openapi_extra=provider_request("Typeform-Signature"))
async def typeform_webhook(request: Request) -> JSONResponse:
    """A Typeform response webhook (Typeform-Signature), mapped to the canonical claim."""
    return await _provider(request, "typeform", settings.typeform_secret, "Typeform-Signature",
                           providers.verify_typeform, providers.typeform_to_claim)


@router.post("/claims/tally", status_code=202, responses=responses(413),
              openapi_extra=provider_request("Tally-Signature"))
async def tally_webhook(request: Request) -> JSONResponse:
    """A Tally form webhook (Tally-Signature), mapped to the canonical claim."""
    return await _provider(request, "tally", settings.tally_secret, "Tally-Signature",
                           providers.verify_tally, providers.tally_to_claim)
