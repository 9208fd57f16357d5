"""Information pages (privacy notice, accessibility statement, cookies) and the error pages:
browsers (Accept: text/html) get NHS.UK-styled 404 / 405 / 500 pages with the contact; API clients
keep problem+json."""
from __future__ import annotations

import logging

from fastapi import APIRouter, FastAPI, Request
from starlette.exceptions import HTTPException as StarletteHTTPException

from involve.settings import settings
from involve.web.i18n import _
from involve.web.pages import render_page
from involve.web.problems import problem

router = APIRouter(tags=["information"], include_in_schema=False)
log = logging.getLogger("involve.web")


@router.get("/privacy")
async def privacy():
    return render_page("info_privacy.html", payment_years=settings.retention_payment_years,
                       register_years=settings.retention_register_years)


@router.get("/accessibility")
async def accessibility():
    return render_page("info_accessibility.html")


@router.get("/cookies")
async def cookies():
    return render_page("info_cookies.html")


def wants_html(request: Request) -> bool:
    accept = request.headers.get("accept", "")
    return "text/html" in accept and "application/json" not in accept.split(",")[0]


TITLES = {404: "Page not found", 405: "This page cannot do that", 500: "Sorry, there is a problem with the service"}


def _error_page(status: int):
    messages = {404: _("If you typed the web address, check it is correct. If you pasted it, check you "
                       "copied all of it."),
                405: _("This page cannot be used like that. Go back and try again from the start."),
                500: _("Please try again later. Anything you had sent before is safe.")}
    title = _(TITLES.get(status, TITLES[500]))
    return render_page("error.html", status, title=title, message=messages.get(status, messages[500]),
                       status=status)


def install_error_pages(app: FastAPI) -> None:
    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException):
        if wants_html(request) and exc.status_code in (404, 405):
            response = _error_page(exc.status_code)
        else:
            response = problem(exc.status_code, TITLES.get(exc.status_code, "Error"), str(exc.detail))
        for name, value in (getattr(exc, "headers", None) or {}).items():
            response.headers[name] = value
        return response

    @app.exception_handler(Exception)
    async def server_error(request: Request, exc: Exception):
        log.exception("unhandled error on %s %s", request.method, request.url.path)
        if wants_html(request):
            return _error_page(500)
        return problem(500, "Internal Server Error", "Something went wrong; nothing was changed.")
