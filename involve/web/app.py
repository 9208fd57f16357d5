"""The web app: health, claim webhooks, action-link pages, and (optionally) a runner beside it."""
from __future__ import annotations

import time
from contextlib import asynccontextmanager
from pathlib import Path

from fastapi import FastAPI
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse

from involve.db import ping
from involve.intake_writer import IntakeWriterProcess
from involve.services.group_commit import GroupCommitter
from involve.settings import settings
from involve.web import (
    assets,
    claim_form,
    claimant,
    claimant_ask,
    info_pages,
    link_pages,
    recruitment_api,
    security,
    staff,
    staff_activities,
    staff_bulk,
    staff_finance,
    staff_hr,
    staff_pages,
    staff_people,
    staff_plan,
    staff_register,
    webhooks,
)
from involve.web.bodylimit import BodyLimitMiddleware
from involve.web.claim_fastpath import InvolveApp
from involve.web.i18n import LanguageMiddleware


def storage_problem(mail_dir: Path | None) -> str | None:
    """Why the service cannot keep what it accepts right now, or None: the database must take a
    write, and the embedded mail sink's folder (when `serve` runs one) must take a file."""
    from involve.files import writable_dir

    if not ping():
        return "the database does not answer or does not take writes"
    if mail_dir is not None and not writable_dir(Path(mail_dir) / "tmp"):
        return "the mail folder is not writable"
    return None


def create_app(runner=None, *, mail_dir: Path | None = None, flows_ready=None) -> FastAPI:
    """`mail_dir`: the embedded mail sink's Maildir, checked by /health (None when SMTP is external).
    `flows_ready`: an Event set once the flows' (Prefect) API answers; /health waits for it after a start."""
    started = time.monotonic()

    def starting() -> bool:
        return (flows_ready is not None and not flows_ready.is_set()
                and time.monotonic() - started < settings.runner_ready_wait_seconds)

    @asynccontextmanager
    async def lifespan(app: FastAPI):
        app.state.wake = runner.wake if runner else None
        writer = None
        if settings.intake_writer == "process":  # claims stored on a core of their own (involve/intake_writer.py)
            writer = await run_in_threadpool(IntakeWriterProcess().start)
            app.state.committer = GroupCommitter(store_batch=writer.store)
        yield
        if writer:  # after uvicorn has answered the requests in flight
            await run_in_threadpool(writer.stop)
        if runner:
            await run_in_threadpool(runner.stop)

    app = InvolveApp(title="involve", version="0.1.0", lifespan=lifespan,
                  description="Payment claims and recruitment involvement for service users.")

    @app.get("/health", tags=["operations"], responses={
        200: {"description": "The database answers and takes writes (and the mail folder, if any, too)",
              "content": {"application/json": {"schema": {"type": "object", "properties": {
                  "status": {"type": "string", "enum": ["ok"]}}}}}},
        503: {"description": "The database does not answer or take writes (read-only, full, or SQLite stays "
                             "write-locked), or the embedded mail folder is not writable, or the service is "
                             "starting: its flows' (Prefect) API does not answer yet (at most "
                             "INVOLVE_RUNNER_READY_WAIT_SECONDS after a start)",
              "content": {"application/json": {"schema": {"type": "object", "properties": {
                  "status": {"type": "string", "enum": ["unavailable"]},
                  "reason": {"type": "string"}}}}}}})
    async def health() -> JSONResponse:
        problem = await run_in_threadpool(storage_problem, mail_dir)
        if problem is None and starting():
            return JSONResponse({"status": "unavailable", "reason": "starting: the flows' API does not answer yet"},
                                status_code=503, headers={"Retry-After": "1"})
        if problem is None:
            return JSONResponse({"status": "ok"})
        return JSONResponse({"status": "unavailable", "reason": problem}, status_code=503,
                            headers={"Retry-After": "30"})

    app.add_middleware(BodyLimitMiddleware)  # every request body bounded before it is read
    app.include_router(webhooks.router)
    _describe_webhooks(app)
    app.include_router(link_pages.router)
    app.include_router(claim_form.router)
    app.include_router(claimant.router)
    app.include_router(claimant_ask.router)
    app.include_router(info_pages.router)
    app.include_router(staff.router)
    app.include_router(staff_pages.router)
    app.include_router(staff_bulk.router)
    app.include_router(staff_register.router)
    app.include_router(staff_people.router)
    app.include_router(staff_finance.router)
    app.include_router(staff_hr.router)
    app.include_router(staff_plan.router)
    app.include_router(staff_activities.router)
    app.include_router(recruitment_api.router)
    assets.mount(app)
    app.add_middleware(assets.PageCompression)
    security.install(app)
    app.add_exception_handler(security.RateLimited, security.too_many_requests)
    app.add_middleware(LanguageMiddleware)
    info_pages.install_error_pages(app)
    return app


def _describe_webhooks(app: FastAPI) -> None:
    """Add the canonical claim's schema (the webhook's request body), the recruitment's schema and
    the staff token scheme to the OpenAPI components."""
    build = app.openapi

    def openapi() -> dict:
        if app.openapi_schema is None:
            schema = build()
            components = schema.setdefault("components", {})
            components.setdefault("schemas", {}).update(webhooks.openapi_components())
            recruitment = recruitment_api.openapi_components()
            components["schemas"].update(recruitment["schemas"])
            components.setdefault("securitySchemes", {}).update(recruitment["securitySchemes"])
        return app.openapi_schema

    app.openapi = openapi
