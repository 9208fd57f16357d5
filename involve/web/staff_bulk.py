"""Approving several claims at once from the claims list: the selection is shown again with every flag
(confirmation step), then each claim is approved through involve.services.claims on its own: one
refused claim does not stop the others, and each outcome is reported."""
from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import RedirectResponse

from involve.errors import InvolveError
from involve.services import claims as claim_actions
from involve.views.claims import claims_by_reference
from involve.web.forms import csrf_failed, csrf_ok
from involve.web.staff import staff_page
from involve.web.staff_pages import DECIDERS, guard

router = APIRouter(tags=["staff"], include_in_schema=False)


async def _selection(request: Request):
    form = await request.form()
    return form, [str(r) for r in form.getlist("ref")][:200]


@router.post("/staff/approve-claims")
async def confirm_selection(request: Request):
    member, refused = await guard(request, *DECIDERS)
    if refused:
        return refused
    form, refs = await _selection(request)
    if not csrf_ok(request, form):
        return csrf_failed()
    claims = await run_in_threadpool(claims_by_reference, refs)
    if not claims:
        return RedirectResponse("/staff/claims", status_code=303)
    return staff_page(request, member, "staff_claims_confirm.html", claims=claims, back="/staff/claims")


def _approve_each(refs: list[str], by: str) -> tuple[list[str], list[tuple[str, str]]]:
    approved, refused = [], []
    for ref in dict.fromkeys(refs):
        try:
            approved.append(claim_actions.approve(ref, by=by).reference)
        except InvolveError as exc:
            refused.append((ref, str(exc)))
    return approved, refused


@router.post("/staff/approve-claims/confirm")
async def approve_selection(request: Request):
    member, refused = await guard(request, *DECIDERS)
    if refused:
        return refused
    form, refs = await _selection(request)
    if not csrf_ok(request, form):
        return csrf_failed()
    approved, not_approved = await run_in_threadpool(_approve_each, refs, member.email)
    if approved and (wake := getattr(request.app.state, "wake", None)):
        wake()
    return staff_page(request, member, "staff_claims_approved.html", 409 if not approved and not_approved else 200,
                      approved=approved, refused=not_approved)
