"""The web app: health, claim webhooks, action-link pages, and (optionally) a runner beside it."""
from __future__ import annotations

import time
from contextlib import asynccontextmanager

from fastapi import FastAPI
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse

from involve.db import ping
from involve.settings import settings
from involve.web import actions, assets, claim_form, recruitment_api, staff, staff_finance, staff_pages, webhooks


def create_app(runner=None, *, flows_ready=None) -> FastAPI:
    """`flows_ready`: an Event set once the flows' API answers; /health waits for it after a start."""
    started = time.monotonic()

    def starting() -> bool:
        return (flows_ready is not None and not flows_ready.is_set()
                and time.monotonic() - started < settings.runner_ready_wait_seconds)

    @asynccontextmanager
    async def lifespan(app: FastAPI):
        app.state.wake = runner.wake if runner else None
        yield
        if runner:
            await run_in_threadpool(runner.stop)

    app = FastAPI(title="involve", version="0.1.0", lifespan=lifespan,
                  description="Payment claims and recruitment involvement for service users.")

    @app.get("/health", tags=["operations"], responses={
        200: {"description": "The database answers",
              "content": {"application/json": {"schema": {"type": "object", "properties": {
                  "status": {"type": "string", "enum": ["ok"]}}}}}},
        503: {"description": "The database does not answer (or SQLite stays write-locked), or the service "
                             "is starting: the flows' (Prefect) API does not answer yet "
                             "(at most INVOLVE_RUNNER_READY_WAIT_SECONDS after a start)",
              "content": {"application/json": {"schema": {"type": "object", "properties": {
                  "status": {"type": "string", "enum": ["unavailable"]}}}}}}})
    async def health() -> JSONResponse:
        ok = await run_in_threadpool(ping)
        headers = None if ok else {"Retry-After": "30"}
        if ok and starting():
            ok, headers = False, {"Retry-After": "1"}
        return JSONResponse({"status": "ok" if ok else "unavailable"}, status_code=200 if ok else 503,
                            headers=headers)

    app.include_router(webhooks.router)
    _describe_webhooks(app)
    app.include_router(actions.router)
    app.include_router(claim_form.router)
    app.include_router(staff.router)
    app.include_router(staff_pages.router)
    app.include_router(staff_finance.router)
    app.include_router(recruitment_api.router)
    assets.mount(app)
    app.add_middleware(assets.PageCompression)
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
