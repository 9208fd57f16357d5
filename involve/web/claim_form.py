"""The project's own claim form (GET /claim): one topic a page, check your answers, confirmation.

Answers travel between pages in a sealed (Fernet-encrypted) cookie, so bank details are never in a
cookie in clear. Sending goes through the same intake as the webhook (`accept_claim`, source "form"),
with a delivery id made from the form session's id: a double submit makes one claim.
"""
from __future__ import annotations

import hashlib
import json
import secrets

from fastapi import APIRouter, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import RedirectResponse
from sqlalchemy.exc import SQLAlchemyError

from involve.errors import DuplicateDelivery, InvalidClaim, InvolveError
from involve.receipt_files import ACCEPT, FileRefused
from involve.services.intake import accept_claim
from involve.services.receipts import add_form_receipts, attach_form_receipts, form_receipts
from involve.web import claim_fields as cf
from involve.web import claim_saved
from involve.web.claim_estimate import estimate, pounds
from involve.web.forms import csrf_failed, csrf_ok, render_form, seal, set_cookie, unseal
from involve.web.i18n import _, said
from involve.web.pages import render_page
from involve.web.security import rate_limited
from involve.web.uploads import BodyTooLarge, bounded_form, uploads

router = APIRouter(tags=["claim form"], include_in_schema=False)
COOKIE, MAX_AGE = "involve_claim", 24 * 3600
PREFILL = ("kind", "title", "start", "end", "borough", "service", "lead_email", "reference")


def _state(request: Request) -> dict:
    state = unseal(request.cookies.get(COOKIE), MAX_AGE)
    return state if state and "id" in state else {"id": secrets.token_urlsafe(12), "v": {}}


def _lost(request: Request, step: str):
    """The answers' cookie is gone (expired, another browser, cleared): say so and offer Start again,
    instead of silently showing empty pages."""
    if step == cf.STEPS[0] or unseal(request.cookies.get(COOKIE), MAX_AGE):
        return None
    return render_page("message.html", 400, title=_("Sorry, we could not find your answers"),
                       message=_("This happens if you leave the form for more than a day, or use a different "
                                 "device or browser. Nothing was sent."),
                       link={"href": "/claim", "text": _("Start again")})


def _go(url: str, state: dict) -> RedirectResponse:
    response = RedirectResponse(url, status_code=303)
    set_cookie(response, COOKIE, seal(state), max_age=MAX_AGE, path="/claim")
    return response


def _is_late(activity_date: str) -> bool:
    from datetime import date

    try:
        return (date.today() - date.fromisoformat(activity_date)).days > _timescales()["deadline_days"]
    except ValueError:
        return False


def _submission_id(state: dict) -> str:
    return f"form-{state['id']}"


@router.get("/")
async def home():
    return RedirectResponse("/claim", status_code=303)


@router.get("/claim")
async def start(request: Request):
    state = _state(request)
    prefill = {k: v for k, v in request.query_params.items() if k in PREFILL and len(v) <= 300}
    if (date := request.query_params.get("date", ""))[:10].count("-") == 2:
        prefill.update(zip(("date-year", "date-month", "date-day"), date[:10].split("-"), strict=True))
    if state.get("done") or prefill:
        state = {"id": secrets.token_urlsafe(12), "v": prefill}
    response = render_page("claim_start.html", first=f"/claim/{cf.STEPS[0]}", **_timescales())
    set_cookie(response, COOKIE, seal(state), max_age=MAX_AGE, path="/claim")
    return response


async def _step_page(request: Request, step: str, state: dict, errors: dict, status: int = 200,
                     change: bool = False, lost: bool = False):
    i = cf.STEPS.index(step)
    back = "/claim" if i == 0 else f"/claim/{cf.STEPS[i - 1]}"
    extra = {"deadline_days": _timescales()["deadline_days"]} if step == "activity" else {}
    if step == "expenses":
        extra = {"uploaded": await run_in_threadpool(form_receipts, state["id"]), "accept": ACCEPT,
                 "receipt_limit": _receipt_limit()}
    return render_form(request, f"claim_{step.replace('-', '_')}.html", status, v=state["v"], errors=errors,
                       error_list=_error_list(errors), step=step, back="/claim/check" if change else back,
                       change=change, cf=cf, step_title=_(cf.STEP_TITLES[step]), lost=lost, **extra)


def _receipt_limit() -> str:
    from datetime import date

    from involve.domain.policy import load_policy

    try:
        return f"{load_policy().period_for(date.today()).receipt_required_over:.2f}"
    except InvolveError:
        return "5.00"


async def _save_receipts(form, state: dict) -> dict[str, str]:
    """Keep the expenses page's files (per cost); {field: message} naming a refused file."""
    chosen = state["v"].get("costs") or []
    by_cost = {cost: uploads(form, f"receipt-{cost}") for cost in cf.AMOUNT_COSTS if cost in chosen}
    by_cost = {k: v for k, v in by_cost.items() if v}
    if not by_cost:
        return {}
    try:
        await run_in_threadpool(add_form_receipts, state["id"], by_cost)
    except FileRefused as exc:
        return {f"receipt-{_refused_cost(by_cost, str(exc))}": said(exc)}
    return {}


def _refused_cost(by_cost: dict, message: str) -> str:
    from involve.receipt_files import safe_name

    return next((cost for cost, ups in by_cost.items() if any(safe_name(u.name) in message for u in ups)),
                next(iter(by_cost)))


def _error_list(errors: dict) -> list[dict]:
    return [{"text": msg, "href": f"#{cf.anchor(field)}"} for field, msg in errors.items()]


@router.get("/claim/check")
async def check_page(request: Request):
    if lost := _lost(request, "check"):
        return lost
    state = _state(request)
    if state.get("done"):
        return RedirectResponse("/claim/confirmation", status_code=303)
    errors = state.pop("errors", None) or {}
    claim, lines = cf.build_claim(state["v"], submission_id=_submission_id(state), declaration=True)
    est = estimate(claim)
    response = render_form(request, "claim_check.html", 400 if errors else 200, v=state["v"], claim=claim,
                           errors=errors, error_list=_error_list(errors), cf=cf, estimate=est, pounds=pounds,
                           line_amounts=dict(zip([c for c, _f in lines], est.lines, strict=True)) if est else {},
                           uploaded=await run_in_threadpool(form_receipts, state["id"]),
                           back=f"/claim/{cf.steps_for(state['v'])[-1]}")
    set_cookie(response, COOKIE, seal(state), max_age=MAX_AGE, path="/claim")
    return response


@router.post("/claim/check", dependencies=[rate_limited("form")])
async def send(request: Request):
    form = await request.form()
    if not csrf_ok(request, form):
        return csrf_failed()
    state = _state(request)
    if state.get("done"):
        return _go("/claim/confirmation", state)
    declared = form.get("declaration") == "yes"
    errors = cf.check(state["v"], submission_id=_submission_id(state), declaration=declared,
                      steps=(*cf.STEPS, "check"))
    if not errors:
        payload, lines = cf.build_claim(state["v"], submission_id=_submission_id(state), declaration=True)
        uploaded = await run_in_threadpool(form_receipts, state["id"])
        for (cost, _field), line in zip(lines, payload["expenses"], strict=True):
            if uploaded.get(cost):
                line["receipt"] = ("uploaded: " + ", ".join(uploaded[cost]))[:300]
        digest = hashlib.sha256(json.dumps(payload, sort_keys=True).encode()).hexdigest()
        try:
            result = await run_in_threadpool(accept_claim, payload=payload, delivery_id=_submission_id(state),
                                             digest=digest, source="form")
        except InvalidClaim as exc:
            errors = cf.map_errors(exc.errors, lines, state["v"])
        except DuplicateDelivery:
            return render_page("message.html", 409, title=_("You have already sent this claim"),
                               message=_("To claim for something else, start a new claim."),
                               link={"href": "/claim", "text": _("Start a new claim")})
        except SQLAlchemyError:
            return render_page("message.html", 503, title=_("Sorry, there is a problem with the service"),
                               message=_("Your claim was not sent. Please try again in a few minutes."))
        else:
            if result.created and uploaded:
                await run_in_threadpool(attach_form_receipts, state["id"], result.reference,
                                        [cost for cost, _field in lines])
            if result.created and (wake := getattr(request.app.state, "wake", None)):
                wake()
            return _go("/claim/confirmation", {"id": state["id"], "done": result.reference,
                                               "email": state["v"].get("email", ""),
                                               "late": _is_late(payload["activity"]["date"])})
    state["errors"] = errors
    first = cf.step_of(next(iter(errors)))
    return _go(f"/claim/{first}" if first in cf.STEPS else "/claim/check", state)


@router.get("/claim/confirmation")
async def confirmation(request: Request):
    state = _state(request)
    if not state.get("done"):
        return RedirectResponse("/claim", status_code=303)
    return render_page("claim_done.html", reference=state["done"], email=state.get("email", ""),
                       late=state.get("late", False), **_timescales())


def _timescales() -> dict:
    from datetime import date

    from involve.domain.policy import load_policy
    from involve.settings import settings

    try:
        period = load_policy().period_for(date.today())
        return {"deadline_days": period.claim_deadline_days, "decide_days": period.approval_reminder_days,
                "payment_days": settings.payment_days}
    except InvolveError:
        return {"deadline_days": 90, "decide_days": 5, "payment_days": settings.payment_days}


@router.get("/claim/continue/{signed}")
async def continue_claim(signed: str):
    state, step, failed = await claim_saved.restore(signed)
    return failed or _go(f"/claim/{step}" if step in cf.STEPS else "/claim/check", state)


@router.get("/claim/{step}")
async def step_get(request: Request, step: str, change: bool = False):
    if step not in cf.STEPS:
        return render_page("message.html", 404, title=_("Page not found"),
                           message=_("Check the web address, or start your claim again."),
                           link={"href": "/claim", "text": _("Start a claim")})
    lost = _lost(request, step) is not None  # shown with a Start again notice (the page still works)
    state = _state(request)
    if state.get("done"):
        return RedirectResponse("/claim/confirmation", status_code=303)
    if step not in cf.steps_for(state["v"]):
        return RedirectResponse("/claim/payment", status_code=303)
    pending = state.pop("errors", None) or {}
    errors = {f: m for f, m in pending.items() if cf.step_of(f) == step}
    response = await _step_page(request, step, state, errors, 400 if errors else 200, change=change, lost=lost)
    set_cookie(response, COOKIE, seal(state), max_age=MAX_AGE, path="/claim")
    return response


@router.post("/claim/{step}", dependencies=[rate_limited("form")])
async def step_post(request: Request, step: str):
    if step not in cf.STEPS:
        return RedirectResponse("/claim", status_code=303)
    try:
        form = await bounded_form(request) if step == "expenses" else await request.form()
    except BodyTooLarge as exc:
        return render_page("message.html", 413, title=_("The files are too large"), message=said(exc),
                           link={"href": "/claim/expenses", "text": _("Go back to your costs")})
    if not csrf_ok(request, form):
        return csrf_failed()
    if lost := _lost(request, step):
        return lost
    state = _state(request)
    if state.get("done"):
        return RedirectResponse("/claim/confirmation", status_code=303)
    for name in cf.FIELDS[step]:
        state["v"][name] = str(form.get(name) or "").strip()[:500]
    if step in cf.LIST_FIELDS:
        chosen = form.getlist(cf.LIST_FIELDS[step])
        state["v"][cf.LIST_FIELDS[step]] = [str(x) for x in chosen if x in cf.COSTS]
    if step == "payment" and state["v"].get("method") != "bank_transfer":
        for name in cf.FIELDS["bank"]:
            state["v"].pop(name, None)
    change = form.get("change") == "yes"
    if form.get("action") == "save":
        response = await claim_saved.save(state, step)
        set_cookie(response, COOKIE, seal(state), max_age=MAX_AGE, path="/claim")
        return response
    errors = cf.check(state["v"], submission_id=_submission_id(state), steps=(step,))
    if step == "expenses":
        errors.update(await _save_receipts(form, state))
    if errors:
        response = await _step_page(request, step, state, errors, 400, change=change)
        set_cookie(response, COOKIE, seal(state), max_age=MAX_AGE, path="/claim")
        return response
    steps = cf.steps_for(state["v"])
    i = steps.index(step)
    if i + 1 == len(steps) or (change and not (step == "payment" and steps[-1] == "bank")):
        return _go("/claim/check", state)
    return _go(f"/claim/{steps[i + 1]}" + ("?change=true" if change else ""), state)
