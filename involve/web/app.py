"""The web app: health, claim webhooks, action-link pages, and (optionally) a runner beside it."""
from __future__ import annotations

from contextlib import asynccontextmanager
from pathlib import Path

from fastapi import FastAPI
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse

from involve.db import ping
from involve.web import (
    assets,
    claim_form,
    link_pages,
    recruitment_api,
    security,
    staff,
    staff_activities,
    staff_finance,
    staff_pages,
    staff_plan,
    webhooks,
)
from involve.web.bodylimit import BodyLimitMiddleware


def storage_problem(mail_dir: Path | None) -> str | None:
    """Why the service cannot keep what it accepts right now, or None: the database must take a
    write, and the embedded mail sink's folder (when `serve` runs one) must take a file."""
    from involve.files import writable_dir

    if not ping():
        return "the database does not answer or does not take writes"
    if mail_dir is not None and not writable_dir(Path(mail_dir) / "tmp"):
        return "the mail folder is not writable"
    return None


def create_app(runner=None, *, mail_dir: Path | None = None) -> FastAPI:
    """`mail_dir`: the embedded mail sink's Maildir, checked by /health (None when SMTP is external)."""

    @asynccontextmanager
    async def lifespan(app: FastAPI):
        app.state.wake = runner.wake if runner else None
        yield
        if runner:
            await run_in_threadpool(runner.stop)

    app = FastAPI(title="involve", version="0.1.0", lifespan=lifespan,
                  description="Payment claims and recruitment involvement for service users.")

    @app.get("/health", tags=["operations"], responses={
        200: {"description": "The database answers and takes writes (and the mail folder, if any, too)",
              "content": {"application/json": {"schema": {"type": "object", "properties": {
                  "status": {"type": "string", "enum": ["ok"]}}}}}},
        503: {"description": "The database does not answer or take writes (read-only, full, or SQLite stays "
                             "write-locked), or the embedded mail folder is not writable",
              "content": {"application/json": {"schema": {"type": "object", "properties": {
                  "status": {"type": "string", "enum": ["unavailable"]},
                  "reason": {"type": "string"}}}}}}})
    async def health() -> JSONResponse:
        problem = await run_in_threadpool(storage_problem, mail_dir)
        if problem is None:
            return JSONResponse({"status": "ok"})
        return JSONResponse({"status": "unavailable", "reason": problem}, status_code=503,
                            headers={"Retry-After": "30"})

    app.add_middleware(BodyLimitMiddleware)  # every request body bounded before it is read
    app.include_router(webhooks.router)
    _describe_webhooks(app)
    app.include_router(link_pages.router)
    app.include_router(claim_form.router)
    app.include_router(staff.router)
    app.include_router(staff_pages.router)
    app.include_router(staff_finance.router)
    app.include_router(staff_plan.router)
    app.include_router(staff_activities.router)
    app.include_router(recruitment_api.router)
    assets.mount(app)
    security.install(app)
    app.add_exception_handler(security.RateLimited, security.too_many_requests)
    return app


def _describe_webhooks(app: FastAPI) -> None:
    """Add the canonical claim's schema (the webhook's request body) to the OpenAPI components."""
    build = app.openapi

    def openapi() -> dict:
        if app.openapi_schema is None:
            schema = build()
            components = schema.setdefault("components", {}).setdefault("schemas", {})
            components.update(webhooks.openapi_components())
        return app.openapi_schema

    app.openapi = openapi
