"""The claimant's own pages: "Your claims".

    GET/POST /claims/status          the person gives their email; if it has claims, a `Your claims:`
                                     link is emailed (the page says the same either way): claimant_ask.py
    GET /claims/yours/{signed}       the emailed link: starts a claimant session (own cookie, never a
                                     staff session) and shows their claims
    GET /claims/mine[/{ref}]         their claims / one claim with its timeline
    GET|POST /claims/mine/{ref}/receipts   add receipts while signed in
    GET|POST /claims/mine/{ref}/reply      answer a question while signed in
    GET /claims/mine/statement[.csv|.pdf]?year=2026-27   the payments statement
"""
from __future__ import annotations

import time

from fastapi import APIRouter, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import RedirectResponse, Response

from involve import links
from involve.db import reader
from involve.domain.statement import tax_year_of
from involve.errors import InvolveError, LinkInvalid, NotFound
from involve.receipt_files import ACCEPT
from involve.services.receipts import FileRefused, add_receipts
from involve.views import claimant as views
from involve.web.forms import csrf_failed, csrf_ok, render_form, seal, set_cookie, unseal
from involve.web.i18n import _, for_person, said
from involve.web.pages import render_page
from involve.web.uploads import BodyTooLarge, bounded_form, uploads

router = APIRouter(tags=["claimant"], include_in_schema=False)
COOKIE, SESSION_SECONDS = "involve_claimant", 60 * 60


def _email(request: Request) -> str | None:
    data = unseal(request.cookies.get(COOKIE), SESSION_SECONDS)
    if data and data.get("exp", 0) > time.time() and data.get("email"):
        return data["email"]
    return None


def _signed_out():
    return render_page("message.html", 401, title=_("Your session has ended"),
                       message=_("For your security, the link to your claims works for a short time. "
                                 "Ask for a new link and we will email it to you."),
                       link={"href": "/claims/status", "text": _("Get a new link to your claims")})


def _open_link(signed: str) -> str:
    with reader() as s:
        token = links.load(s, signed)
        if token.action != "your_claims":
            raise LinkInvalid(_("This link is not valid."))
        return token.holder_email


@router.get("/claims/yours/{signed}")
async def yours(request: Request, signed: str):
    try:
        email = await run_in_threadpool(_open_link, signed)
    except LinkInvalid as exc:
        return render_page("message.html", 410, title=_("This link cannot be used"), message=str(exc),
                           link={"href": "/claims/status", "text": _("Get a new link to your claims")})
    response = await _list(request, email)
    set_cookie(response, COOKIE, seal({"email": email, "exp": time.time() + SESSION_SECONDS}),
               max_age=SESSION_SECONDS, path="/claims")
    return response


async def _list(request: Request, email: str):
    items = await run_in_threadpool(views.claims_of, email)
    years = sorted({tax_year_of(i.claim.paid_at.date()) for i in items if i.claim.paid_at}, reverse=True)
    return render_page("claimant_claims.html", items=items, email=email, years=years)


@router.get("/claims/mine")
async def mine(request: Request):
    email = _email(request)
    return await _list(request, email) if email else _signed_out()


@router.get("/claims/mine/statement")
async def statement_page(request: Request, year: str = ""):
    email = _email(request)
    if not email:
        return _signed_out()
    try:
        st = await run_in_threadpool(views.statement, email, year or _this_year())
    except InvolveError:
        return _no_such_year()
    return render_page("statement.html", st=st, back="/claims/mine", large=st.reading_format == "large_print")


@router.get("/claims/mine/statement.{fmt}")
async def statement_file(request: Request, fmt: str, year: str = "", format: str = ""):  # noqa: A002 - ?format=
    """The statement as a file in the person's language (the page's, if they chose one here) and
    format (theirs, or `?format=large_print`)."""
    from involve.reports.statement import choose, statement_csv, statement_pdf

    email = _email(request)
    if not email:
        return _signed_out()
    try:
        st = await run_in_threadpool(views.statement, email, year or _this_year())
    except InvolveError:
        return _no_such_year()
    language, reading_format = choose(st, for_person(st.language), format or None)
    name = f"payments-statement-{st.tax_year}"
    if fmt == "csv":
        return Response(statement_csv(st, language), media_type="text/csv; charset=utf-8",
                        headers={"Content-Disposition": f'attachment; filename="{name}.csv"',
                                 "Content-Language": language})
    if fmt == "pdf" and (pdf := await run_in_threadpool(statement_pdf, st, language, reading_format)):
        suffix = {"large_print": "-large-print", "easy_read": "-easy-read"}.get(reading_format, "")
        return Response(pdf, media_type="application/pdf",
                        headers={"Content-Disposition": f'attachment; filename="{name}{suffix}.pdf"',
                                 "Content-Language": language})
    return render_page("message.html", 404, title=_("Page not found"),
                       message=_("This statement is available as a page and a CSV file."))


def _no_such_year():
    return render_page("message.html", 400, title=_("Choose a tax year"),
                       message=_("Choose a tax year written like %(example)s (6 April to 5 April).",
                                 example=_this_year()))


def _this_year() -> str:
    from datetime import date

    return tax_year_of(date.today())


@router.get("/claims/mine/{reference}")
async def one(request: Request, reference: str):
    email = _email(request)
    if not email:
        return _signed_out()
    try:
        item = await run_in_threadpool(views.claim_of, email, reference)
    except NotFound:
        return render_page("message.html", 404, title=_("Claim not found"),
                           message=_("We could not find that claim among yours."),
                           link={"href": "/claims/mine", "text": _("Your claims")})
    return render_page("claimant_claim.html", item=item, back="/claims/mine")


def _receipt_lines(item) -> list[dict]:
    from involve.services.processing import line_label
    from involve.web.claimant_links import receipt_field

    missing = {x.id for x in item.needing_receipts}
    return [{"id": x.id, "label": line_label(x), "field": receipt_field(x.id), "missing": x.id in missing,
             "kind": x.kind, "has_receipt": bool(x.receipt)} for x in item.taking_receipts]


def _not_found():
    return render_page("message.html", 404, title=_("Claim not found"), message=_("We could not find that claim."))


async def _own_claim(email: str, reference: str):
    """(the claimant's own claim, None), or (None, the 404 page) when it is not theirs or not there."""
    try:
        return await run_in_threadpool(views.claim_of, email, reference), None
    except NotFound:
        return None, _not_found()


@router.get("/claims/mine/{reference}/receipts")
async def receipts_page(request: Request, reference: str):
    email = _email(request)
    if not email:
        return _signed_out()
    item, missing = await _own_claim(email, reference)
    if missing:
        return missing
    return render_form(request, "claimant_receipts.html", claim=item.claim, lines=_receipt_lines(item),
                       accept=ACCEPT, action_url=f"/claims/mine/{item.claim.reference}/receipts", errors={},
                       error_list=[], back=f"/claims/mine/{item.claim.reference}")


async def _claimant_post(request: Request, reference: str):
    """(None, email, form, claim item) for a signed-in claimant's POST about one of their own claims
    (body bounded before it is read, CSRF checked); else (the response to send, None, None, None)."""
    email = _email(request)
    if not email:
        return _signed_out(), None, None, None
    try:
        form = await bounded_form(request)
    except BodyTooLarge as exc:
        return (render_page("message.html", 413, title=_("The files are too large"), message=said(exc)),
                None, None, None)
    if not csrf_ok(request, form):
        return csrf_failed(), None, None, None
    item, missing = await _own_claim(email, reference)
    return (missing, None, None, None) if missing else (None, email, form, item)


@router.post("/claims/mine/{reference}/receipts")
async def receipts_send(request: Request, reference: str):
    refused, email, form, item = await _claimant_post(request, reference)
    if refused:
        return refused
    lines = _receipt_lines(item)
    by_line = {x["id"]: await run_in_threadpool(uploads, form, x["field"]) for x in lines}
    try:
        await run_in_threadpool(add_receipts, item.claim.reference, by_line, claimant=email)
    except (FileRefused, InvolveError) as exc:
        field = next((x["field"] for x in lines if by_line.get(x["id"])), lines[0]["field"] if lines else "")
        return render_form(request, "claimant_receipts.html", 400, claim=item.claim, lines=lines, accept=ACCEPT,
                           action_url=f"/claims/mine/{item.claim.reference}/receipts",
                           errors={field: said(exc)}, error_list=[{"text": said(exc), "href": f"#{field}"}])
    return RedirectResponse(f"/claims/mine/{item.claim.reference}?done=receipts", status_code=303)


async def _reply_page(request: Request, email: str, reference: str, status: int = 200, **extra):
    from involve.web.claimant_links import reply_lines

    item, missing = await _own_claim(email, reference)
    if missing:
        return missing
    if item.claim.status != "needs_information":
        return RedirectResponse(f"/claims/mine/{item.claim.reference}", status_code=303)
    lines = await run_in_threadpool(reply_lines, item.claim.reference)
    ctx = {"v": {}, "errors": {}, "error_list": []} | extra
    return render_form(request, "claimant_reply.html", status, claim=item.claim, lines=lines, accept=ACCEPT,
                       question=item.question.question if item.question else "",
                       action_url=f"/claims/mine/{item.claim.reference}/reply",
                       back=f"/claims/mine/{item.claim.reference}", **ctx)


@router.get("/claims/mine/{reference}/reply")
async def reply_page(request: Request, reference: str):
    email = _email(request)
    if not email:
        return _signed_out()
    return await _reply_page(request, email, reference)


@router.post("/claims/mine/{reference}/reply")
async def reply_send(request: Request, reference: str):
    from involve.services.claim_questions import reply
    from involve.web.claimant_links import files_by_line, parse_reply, reply_lines

    refused, email, form, item = await _claimant_post(request, reference)
    if refused:
        return refused
    lines = await run_in_threadpool(reply_lines, item.claim.reference)
    v, amounts, errors = parse_reply(form, lines)
    by_line = await run_in_threadpool(files_by_line, form, lines) if not errors else {}
    if not errors:
        try:
            await run_in_threadpool(lambda: reply(answer=v["answer"], amounts=amounts, uploads=by_line,
                                                  reference=item.claim.reference, claimant=email))
        except InvolveError as exc:
            field = next((x["field"] for x in lines if by_line.get(x["id"])), "answer")
            errors = {field: said(exc)}
    if errors:
        return await _reply_page(request, email, reference, 400, v=v, errors=errors,
                                 error_list=[{"text": m, "href": f"#{f}"} for f, m in errors.items()])
    if wake := getattr(request.app.state, "wake", None):
        wake()
    return RedirectResponse(f"/claims/mine/{item.claim.reference}?done=reply", status_code=303)
