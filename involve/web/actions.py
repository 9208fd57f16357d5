"""Pages behind signed action links: GET shows what will happen and a button; only POST acts.

Handlers register per action name (`approve`, `reject`; recruitment adds its own), each with
`show(session, token) -> (template, context)` and `act(token, signed, form) -> message`.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from fastapi import APIRouter, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse
from sqlalchemy.exc import SQLAlchemyError
from starlette.datastructures import FormData

from involve import i18n, links
from involve.db import reader
from involve.domain.text import clean_multiline
from involve.errors import InvalidClaim, InvolveError, LinkInvalid
from involve.services import claims as claim_actions
from involve.services.people import language_of
from involve.views.claims import claim_by_reference
from involve.web import i18n as page_i18n
from involve.web.i18n import _, said
from involve.web.pages import render_page
from involve.web.uploads import BodyTooLarge, bounded_form
from models import LinkToken


@dataclass(frozen=True)
class ActionHandler:
    show: Callable  # (session, token) -> (template, context)
    act: Callable  # (token, signed, form) -> message


class FormInvalid(InvolveError):
    """Raised by an `act` whose form answers break the rules: the page is shown again (400) with
    `context` (the answers, the errors and the error summary) added; nothing was changed."""

    def __init__(self, context: dict):
        super().__init__(_("There is a problem"))
        self.context = context


HANDLERS: dict[str, ActionHandler] = {}
router = APIRouter(tags=["action links"])


def register(action: str, handler: ActionHandler) -> None:
    HANDLERS[action] = handler


def _show_claim(session, token: LinkToken):
    from involve.services.processing import line_label
    from involve.services.receipts import lines_needing_receipts

    claim = claim_by_reference(session, token.reference)
    return "action_claim.html", {"claim": claim, "action": token.action, "flags": claim.flags or [],
                                 "receipts_needed": [line_label(x) for x in lines_needing_receipts(claim)],
                                 "staff_page": True}


def _approve(token: LinkToken, signed: str, form) -> str:
    from decimal import Decimal, InvalidOperation

    raw = str(form.get("amount") or "").strip().lstrip("£")
    try:
        amount = Decimal(raw).quantize(Decimal("0.01")) if raw else None
    except InvalidOperation:
        raise InvolveError(_("Enter the amount to pay in pounds, like 40.00")) from None
    claim = claim_actions.approve(token.reference, by=token.holder_email,
                                  expenses_only=form.get("expenses_only") in ("yes", "on", "true"),
                                  note=(form.get("note") or "").strip() or None, link_token=signed,
                                  amount=amount, reason=str(form.get("amount_reason") or "") or None)
    if claim.status == "awaiting_second_approval":
        return _("Thank you. Claim %(ref)s needs a second approver, who has been asked by email.",
                 ref=claim.reference)
    return _("Thank you. Claim %(ref)s is approved and finance has been told.", ref=claim.reference)


def _reject(token: LinkToken, signed: str, form) -> str:
    if not (form.get("reason") or "").strip():
        message = _("Enter why you are rejecting this claim")
        raise FormInvalid({"errors": {"reason": message}, "error_list": [{"text": message, "href": "#reason"}]})
    claim = claim_actions.reject(token.reference, by=token.holder_email, reason=form.get("reason") or "",
                                 link_token=signed)
    return _("Claim %(ref)s is rejected. The person who claimed has been told the reason.",
             ref=claim.reference)


register("approve", ActionHandler(_show_claim, _approve))
register("reject", ActionHandler(_show_claim, _reject))
STAFF_ACTIONS = {"approve", "reject"}  # their pages stay English


def _load(signed: str):
    """(token, template, context, language): a person's link page is in their language unless they
    chose one here; a staff member's stays English."""
    with reader() as session:
        token = links.load(session, signed)
        handler = HANDLERS.get(token.action)
        if handler is None:
            raise LinkInvalid(_("This link is not valid."))
        language = i18n.SOURCE if token.action in STAFF_ACTIONS else page_i18n.for_person(
            language_of(session, token.holder_email))
        with i18n.use(language):
            template, ctx = handler.show(session, token)
        return token, template, ctx, language


def _failure(exc: Exception, language: str | None = None):
    with i18n.use(language or i18n.current()):
        if isinstance(exc, LinkInvalid):
            return render_page("message.html", 410, title=_("This link cannot be used"), message=said(exc))
        if isinstance(exc, SQLAlchemyError):
            return render_page("message.html", 503, title=_("Sorry, there is a problem"),
                               message=_("Please try again in a few minutes."))
        return render_page("message.html", 409, title=_("This could not be done"), message=said(exc))


def _page(description: str) -> dict:
    return {"description": description, "content": {"text/html": {"schema": {"type": "string"}}}}


PAGE_RESPONSES = {200: _page("The page (GET: what will happen and a button; POST: done)"),
                  400: _page("POST: the form's answers break the rules; the page again with an error summary, "
                             "nothing changed"),
                  409: _page("The action cannot be taken now (wrong state, not allowed)"),
                  410: _page("The link is not valid, expired or already used"),
                  503: _page("The database is unavailable; try again later")}


@router.get("/act/{signed}", response_class=HTMLResponse, responses=PAGE_RESPONSES)
async def show_action(signed: str):
    try:
        token, template, ctx, language = await run_in_threadpool(_load, signed)
    except (InvolveError, SQLAlchemyError) as exc:
        return _failure(exc)
    return render_page(template, locale=language, **ctx)


@router.api_route("/act/{signed}", methods=["PUT", "PATCH", "DELETE", "OPTIONS"], include_in_schema=False)
async def other_method(signed: str):
    """405 that names every method the link takes (a path with separate GET and POST routes
    would otherwise answer with only the first route's methods in Allow)."""
    page = render_page("message.html", 405, title=_("This could not be done"),
                       message=_("Open the link in a web browser."))
    page.headers["Allow"] = "GET, HEAD, POST"
    return page


UPLOAD_ACTIONS = ("add_receipts", "reply")  # link pages whose forms carry files (POST to /claims/upload/)


@router.post("/act/{signed}", response_class=HTMLResponse, responses=PAGE_RESPONSES)
async def do_action(signed: str, request: Request):
    return await act_on(signed, request)


@router.post("/claims/upload/{signed}", response_class=HTMLResponse, include_in_schema=False)
async def do_upload(signed: str, request: Request):
    """The Add receipts and Reply forms post here: the same action, with room in the body for files."""
    return await act_on(signed, request, uploads=True)


async def act_on(signed: str, request: Request, *, uploads: bool = False):
    """With `uploads` (a body with room for files) the link is checked before the body is read, so a
    forged or used link costs no upload; other link pages' bodies are small (involve/web/bodylimit.py)."""
    language = None
    if uploads:
        try:
            token, _page, _ctx, language = await run_in_threadpool(_load, signed)
            if token.action not in UPLOAD_ACTIONS:
                raise LinkInvalid(_("This link is not valid."))
        except (InvolveError, SQLAlchemyError) as exc:
            return _failure(exc, language)
    try:
        form = await bounded_form(request)
    except BodyTooLarge as exc:
        return render_page("message.html", 413, title=_("The files are too large"), message=said(exc))
    try:
        if not uploads:
            token, _page, _ctx, language = await run_in_threadpool(_load, signed)
        # no NUL or control characters stored; files (Add receipts, Reply) pass through as they are
        answers = FormData([(k, clean_multiline(v) if isinstance(v, str) else v) for k, v in form.multi_items()])
        message = await run_in_threadpool(_act_in, language, HANDLERS[token.action].act, token, signed, answers)
    except FormInvalid as exc:
        return render_page(_page, 400, locale=language, **dict(_ctx, **exc.context))
    except InvalidClaim as exc:  # the form's answers break a rule: the form again, with an error summary
        errors = [{"text": f"{e['field']}: {e['message']}", "href": "#maincontent"} for e in exc.errors]
        return render_page(_page, 400, locale=language, **dict(_ctx, error_list=errors))
    except InvolveError as exc:
        if type(exc) is InvolveError:  # a plain rule about the answers (e.g. "write at least one comment")
            return render_page(_page, 400, locale=language,
                               **dict(_ctx, error_list=[{"text": said(exc), "href": "#maincontent"}]))
        return _failure(exc, language)
    except SQLAlchemyError as exc:
        return _failure(exc, language)
    wake = getattr(request.app.state, "wake", None)
    if wake:
        wake()
    with i18n.use(language):
        return render_page("message.html", locale=language, title=_("Done"), message=message,
                           staff_page=language == i18n.SOURCE and token.action in STAFF_ACTIONS)


def _act_in(language: str, act, *args):
    with i18n.use(language):
        return act(*args)
