"""Staff pages for claims: the co-ordinator's list (filters: status, flag, borough), a claim's page
with its history from the audit trail, and approve / reject / record payment through
involve.services.claims with by = the signed-in staff member (the service checks the roles).
"""
from __future__ import annotations

from decimal import Decimal, InvalidOperation
from urllib.parse import urlencode

from fastapi import APIRouter, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import RedirectResponse, Response
from sqlalchemy.exc import SQLAlchemyError

from involve.domain.approval import DECIDER_ROLES, Actor, ClaimFacts, allowed_actions, may_view
from involve.domain.text import clean_multiline
from involve.errors import InvolveError, NotAllowed, NotFound
from involve.services import claims as claim_actions
from involve.services.claim_questions import ask
from involve.services.receipts import open_receipt
from involve.views.claimant import claim_receipt_fetches, claim_receipts
from involve.views.claims import ClaimFilters, claim_with_history, list_claims, statuses_present
from involve.views.finance import last_failure
from involve.web.forms import csrf_failed, csrf_ok
from involve.web.i18n import N_, _
from involve.web.labels import BOROUGHS, FLAGS, STATUSES
from involve.web.staff import signed_in, staff_page

router = APIRouter(tags=["staff"], include_in_schema=False)
DECIDERS = DECIDER_ROLES
DONE = {"approve": N_("Claim approved."), "reject": N_("Claim rejected. We have told the person why."),
        "pay": N_("Payment recorded. We have told the person."),
        "ask": N_("Question sent. The claim waits for the person's reply.")}


async def guard(request: Request, *roles: str):
    """(member, None) when signed in with one of `roles`; else (member or None, the response to send)."""
    member = await signed_in(request)
    if member is None:
        return None, RedirectResponse("/staff/sign-in", status_code=303)
    if roles and not member.has_role(*roles):
        return member, staff_page(request, member, "message.html", 403, title=_("You cannot see this page"),
                                  message=_("Ask the involvement co-ordinator if you need access."))
    return member, None


async def guarded_form(request: Request, *roles: str):
    """(member, form, None) for a signed-in member with one of `roles` posting a form with a valid CSRF
    token; else (member or None, None, the response to send)."""
    member, refused = await guard(request, *roles)
    if refused:
        return member, None, refused
    form = {k: str(v) for k, v in (await request.form()).items()}
    if not csrf_ok(request, form):
        return member, None, csrf_failed()
    return member, form, None


@router.get("/staff/claims")
async def claims_list(request: Request, status: str = "", flag: str = "", borough: str = "", q: str = "",
                      before: str = ""):
    member, refused = await guard(request, *DECIDERS)
    if refused:
        return refused
    present = await run_in_threadpool(statuses_present)
    status, flag, borough = (x if x in allowed else "" for x, allowed in
                             ((status, present), (flag, FLAGS), (borough, BOROUGHS)))
    q = q.strip()[:100]
    only_mine = None if member.has_role("coordinator", "ppi_lead") else member.email
    page = await run_in_threadpool(list_claims, ClaimFilters(status, flag, borough, only_mine, q),
                                   before=int(before) if before.isdigit() else None)
    who = Actor(member.email, frozenset(member.roles or ()), bool(member.active))
    approvable = {c.reference for c in page.claims if "approve" in allowed_actions(who, ClaimFacts.of(c))}
    query = {"status": status, "flag": flag, "borough": borough, "q": q}
    kept = {k: v for k, v in query.items() if v}
    next_url = "/staff/claims?" + urlencode({**kept, "before": page.next_before}) if page.next_before else None
    first_url = ("/staff/claims?" + urlencode(kept) if kept else "/staff/claims") if before else None
    return staff_page(request, member, "staff_claims.html", claims=page.claims, filters=query,
                      status_options={k: STATUSES.get(k, k) for k in present}, approvable=approvable,
                      next_url=next_url, first_url=first_url)


async def _claim_page(request: Request, member, reference: str, status_code: int = 200, error: str = ""):
    who = Actor(member.email, frozenset(member.roles or ()), bool(member.active))
    try:
        claim, history = await run_in_threadpool(claim_with_history, reference)
        if not may_view(who, ClaimFacts.of(claim)):
            raise NotFound(reference)  # the same answer as no such claim: a lead learns nothing of others'
    except NotFound:
        return staff_page(request, member, "message.html", 404, title=_("Claim not found"),
                          message=_("There is no claim %(ref)s you can see.", ref=reference))
    allowed = allowed_actions(who, ClaimFacts.of(claim))
    done = request.query_params.get("done", "")
    done = _(DONE[done]) if done in DONE else None
    return staff_page(request, member, "staff_claim.html", status_code, claim=claim, history=history,
                      can_approve="approve" in allowed, can_reject="reject" in allowed,
                      can_pay="pay" in allowed, can_ask="ask" in allowed, done=done, back="/staff/claims",
                      receipts=await run_in_threadpool(claim_receipts, claim.id),
                      failure=await run_in_threadpool(last_failure, claim.id)
                      if claim.status == "payment_failed" else None,
                      fetches=await run_in_threadpool(claim_receipt_fetches, claim.id),
                      error_list=[{"text": error, "href": "#actions"}] if error else None)


@router.get("/staff/claims/{reference}")
async def claim_page(request: Request, reference: str):
    member, refused = await guard(request, *DECIDERS, "finance")
    return refused or await _claim_page(request, member, reference)


def _act(action: str, reference: str, by: str, form: dict):
    if action == "approve":
        amount = (form.get("amount") or "").strip().lstrip("£")
        try:
            lower = Decimal(amount).quantize(Decimal("0.01")) if amount else None
        except InvalidOperation:
            raise InvolveError(_("Enter the amount to pay in pounds, like 40.00")) from None
        return claim_actions.approve(reference, by=by, expenses_only=form.get("expenses_only") == "yes",
                                     note=(form.get("note") or "").strip() or None, amount=lower,
                                     reason=form.get("amount_reason") or None)
    if action == "ask":
        return ask(reference, by=by, question=form.get("question") or "")
    if action == "reject":
        return claim_actions.reject(reference, by=by, reason=form.get("reason") or "")
    return claim_actions.pay(reference, by=by, payment_ref=(form.get("payment_ref") or "").strip() or None)


@router.get("/staff/receipts/{receipt_id}")
async def receipt_file(request: Request, receipt_id: int):
    """A receipt, only for staff who may act on its claim (or a co-ordinator)."""
    member, refused = await guard(request, *DECIDERS, "finance")
    if refused:
        return refused
    try:
        receipt, data = await run_in_threadpool(open_receipt, receipt_id, viewer=member.email)
    except (NotFound, NotAllowed):
        return staff_page(request, member, "message.html", 404, title=_("Receipt not found"),
                          message=_("There is no receipt here you can see."))
    return Response(data, media_type=receipt.content_type, headers={
        "Content-Disposition": f'inline; filename="receipt-{receipt.id}.{receipt.content_type.rsplit("/", 1)[-1]}"',
        "X-Content-Type-Options": "nosniff", "Cache-Control": "private, no-store",
        "Content-Security-Policy": "default-src 'none'; img-src 'self'; style-src 'unsafe-inline'; sandbox"})


@router.post("/staff/claims/{reference}/{action}")
async def claim_action(request: Request, reference: str, action: str):
    member, refused = await guard(request, *DECIDERS, "finance")
    if refused:
        return refused
    form = {k: clean_multiline(str(v)) for k, v in (await request.form()).items()}
    if not csrf_ok(request, form):
        return csrf_failed()
    if action not in DONE:
        return RedirectResponse(f"/staff/claims/{reference}", status_code=303)
    try:
        await run_in_threadpool(_act, action, reference, member.email, form)
    except InvolveError as exc:
        return await _claim_page(request, member, reference, 409, error=_plain(exc))
    except SQLAlchemyError:
        return await _claim_page(request, member, reference, 503,
                                 error=_("Please try again in a few minutes."))
    if wake := getattr(request.app.state, "wake", None):
        wake()
    back = form.get("next", "")
    if back.startswith("/staff/") and "//" not in back:
        return RedirectResponse(f"{back}?done={action}&ref={reference}", status_code=303)
    return RedirectResponse(f"/staff/claims/{reference}?done={action}", status_code=303)


def _plain(exc: Exception) -> str:
    text = str(exc)
    return text[:1].upper() + text[1:] + ("" if text.endswith(".") else ".")
