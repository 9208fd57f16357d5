"""The staff API for recruitment involvement: HR starts a recruitment and reads it.

`POST /api/recruitments` (JSON, the fields of `involve recruitment start`) and
`GET /api/recruitments/{reference}`, both with `Authorization: Bearer <token>` from
`involve staff token`; the token's staff member must have the role `hr` or `coordinator`
(that is checked again by the service, which also writes the audit record). Errors are
problem+json: 401 bad token, 403 wrong role, 404 unknown reference, 422 invalid fields.
"""
from __future__ import annotations

import json

from fastapi import APIRouter, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse
from sqlalchemy.exc import SQLAlchemyError

from involve import clock
from involve.domain.dates import london_today
from involve.domain.recruitment_schema import InvalidRecruitment, parse_recruitment
from involve.errors import InvolveError
from involve.services import recruitment
from involve.services.staff_tokens import BadToken, staff_from_token
from involve.views.recruitment import describe
from involve.web.bodylimit import BodyTooLarge, read_body
from involve.web.problems import from_error, problem

router = APIRouter(prefix="/api/recruitments", tags=["recruitment"])
MAX_BODY = 256 * 1024


def _problems(*codes: int) -> dict:
    """OpenAPI: the problem+json answers an operation gives (checked by tests/reliability/test_openapi.py)."""
    from involve.web.webhooks import PROBLEM_SCHEMA

    return {c: {"description": "A problem (RFC 9457)",
                "content": {"application/problem+json": {"schema": PROBLEM_SCHEMA}}} for c in codes}


# OpenAPI: what the operations take (the body, the token), so a client built from the document,
# schemathesis included, sends requests the server can accept (tests/security/test_openapi_requests.py)
SECURITY_SCHEME = {"staffToken": {"type": "http", "scheme": "bearer",
                                  "description": "a staff token from `involve staff token` (role hr or coordinator)"}}
_TOKEN = {"security": [{"staffToken": []}]}
_START_REQUEST = {
    **_TOKEN,
    "requestBody": {"required": True, "content": {"application/json": {
        "schema": {"$ref": "#/components/schemas/RecruitmentIn"}}}},
}
_CREATED = {"description": "Started; Location names the recruitment",
            "content": {"application/json": {"schema": {
                "type": "object", "required": ["reference", "status"],
                "properties": {"reference": {"type": "string"}, "status": {"type": "string"}}}}},
            "headers": {"Location": {"schema": {"type": "string"}, "description": "/api/recruitments/{reference}"}}}


def openapi_components() -> dict:
    """RecruitmentIn and the token scheme, for #/components."""
    from involve.domain.recruitment_schema import RecruitmentIn

    schema = RecruitmentIn.model_json_schema(ref_template="#/components/schemas/{model}")
    defs = schema.pop("$defs", {})
    return {"schemas": {"RecruitmentIn": schema, **defs}, "securitySchemes": SECURITY_SCHEME}


def _bearer(request: Request) -> str:
    scheme, _, token = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise BadToken("send Authorization: Bearer <token> (from `involve staff token`)")
    return staff_from_token(token.strip())


def _error(exc: Exception) -> JSONResponse:
    if isinstance(exc, BadToken):
        return problem(401, "Unauthorized", str(exc))
    if isinstance(exc, InvalidRecruitment):
        return problem(422, "The recruitment details are not valid", str(exc), errors=exc.errors)
    if isinstance(exc, InvolveError):
        return from_error(exc)
    return problem(503, "Service unavailable", "The database is not answering. Please try again.")


def _start(body: bytes, by: str) -> dict:
    try:
        payload = json.loads(body)
    except RecursionError:
        raise InvalidRecruitment([{"field": "body", "message": "nests too deeply"}]) from None
    except ValueError:
        raise InvalidRecruitment([{"field": "body", "message": "is not JSON"}]) from None
    data = parse_recruitment(payload, today=london_today(clock.now()))
    rec = recruitment.start(data, by=by)
    return {"reference": rec.reference, "status": rec.status}


@router.post("", status_code=201, summary="Start a recruitment (HR or co-ordinator)",
             responses={201: _CREATED, **_problems(400, 401, 403, 404, 409, 413, 415, 422, 503)},
             openapi_extra=_START_REQUEST)
async def start_recruitment(request: Request) -> JSONResponse:
    # cheap checks first (type, token), then the body, read bounded (never the whole of it first)
    if not request.headers.get("content-type", "").startswith("application/json"):
        return problem(415, "Unsupported media type", "Send the recruitment as application/json.")
    try:
        by = _bearer(request)
        body = await read_body(request, MAX_BODY)
    except BodyTooLarge:
        return problem(413, "Body too large", f"At most {MAX_BODY // 1024} KiB.")
    except InvolveError as exc:
        return _error(exc)
    try:
        result = await run_in_threadpool(_start, body, by)
    except (InvolveError, SQLAlchemyError) as exc:
        return _error(exc)
    wake = getattr(request.app.state, "wake", None)
    if wake:
        wake()
    return JSONResponse(result, status_code=201,
                        headers={"Location": f"/api/recruitments/{result['reference']}"})


def _read(reference: str, by: str) -> dict:
    from involve.db import reader
    from involve.services.people import require_staff

    with reader() as s:
        require_staff(s, by, *recruitment.RECRUITER_ROLES, doing="read recruitments")
    return describe(reference)


@router.get("/{reference}", summary="A recruitment: panel, questions and feedback (HR or co-ordinator)",
            responses=_problems(400, 401, 403, 404, 409, 422, 503), openapi_extra=_TOKEN)
async def show_recruitment(reference: str, request: Request) -> JSONResponse:
    try:
        by = _bearer(request)
        return JSONResponse(await run_in_threadpool(_read, reference, by))
    except (InvolveError, SQLAlchemyError) as exc:
        return _error(exc)
