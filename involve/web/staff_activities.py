"""Staff pages for involvement activities: the list with a form to organise one (and invite people
from the register), and an activity's page with its invitations, a Record attendance button per
person (which starts their claim, awaiting their confirmation) and its output. Every change goes
through involve.services.activities with by = the signed-in member (the service checks the roles)."""
from __future__ import annotations

from datetime import date

from fastapi import APIRouter, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import RedirectResponse
from sqlalchemy.exc import SQLAlchemyError

from involve.domain.claim_schema import ACTIVITY_KINDS, BOROUGHS
from involve.domain.programme import LEVELS, ORGANISER_ROLES, PROGRAMMES
from involve.errors import InvolveError, NotFound
from involve.services import activities as service
from involve.views import programme as views
from involve.web.i18n import N_, _
from involve.web.staff import staff_page
from involve.web.staff_pages import guard, guarded_form

router = APIRouter(tags=["staff"], include_in_schema=False)
DONE = {"created": N_("Activity created. The people invited have been sent their offer."),
        "attended": N_("Attendance recorded. We have sent the person their claim to confirm."),
        "output": N_("Output recorded.")}


def _plain(exc: Exception) -> str:
    text = str(exc)
    return text[:1].upper() + text[1:]


def _options(values, selected: str, blank: str | None = None) -> list[dict]:
    items = [{"value": "", "text": blank, "selected": not selected}] if blank is not None else []
    return items + [{"value": v, "text": v.replace("_", " "), "selected": selected == v} for v in values]


async def _list_page(request: Request, member, status_code: int = 200, error: str = "", form: dict | None = None):
    rows = await run_in_threadpool(views.activities)
    actions = await run_in_threadpool(views.plan_actions)
    v = form or {}
    return staff_page(
        request, member, "staff_activities.html", status_code, activities=rows, v=v,
        kinds=_options(ACTIVITY_KINDS, v.get("kind", "forum_meeting")),
        boroughs=_options(BOROUGHS, v.get("borough", "")),
        levels=_options(LEVELS, v.get("level", ""), _("Not a governance meeting")),
        programmes=_options(PROGRAMMES, v.get("programme", ""), _("Not staff training")),
        actions=[{"value": "", "text": _("None"), "selected": not v.get("action")}] + [
            {"value": a["id"], "text": f"{a['id']} {a['action'][:60]}", "selected": v.get("action") == a["id"]}
            for a in actions],
        error_list=[{"text": error, "href": "#create"}] if error else None)


@router.get("/staff/activities")
async def activities_page(request: Request):
    member, refused = await guard(request, *ORGANISER_ROLES)
    return refused or await _list_page(request, member)


def _create(form: dict, by: str) -> str:
    try:
        day = date.fromisoformat(form.get("date", "").strip())
    except ValueError:
        raise InvolveError(_("Enter the date of the activity, like 2026-12-03")) from None
    invite = tuple(e.strip() for e in form.get("invite", "").replace(",", "\n").splitlines() if e.strip())
    data = service.ActivityIn(kind=form.get("kind", ""), title=form.get("title", ""), day=day,
                              start=form.get("start", "").strip(), end=form.get("end", "").strip(),
                              borough=form.get("borough", ""), service=form.get("service") or None,
                              action=form.get("action") or None, level=form.get("level") or None,
                              programme=form.get("programme") or None, invite=invite)
    return service.create(data, by=by).reference


@router.post("/staff/activities")
async def create_activity(request: Request):
    member, form, refused = await guarded_form(request, *ORGANISER_ROLES)
    if refused:
        return refused
    try:
        ref = await run_in_threadpool(_create, form, member.email)
    except InvolveError as exc:
        return await _list_page(request, member, 409, error=_plain(exc), form=form)
    except SQLAlchemyError:
        return await _list_page(request, member, 503, error=_("Please try again in a few minutes."), form=form)
    if wake := getattr(request.app.state, "wake", None):
        wake()
    return RedirectResponse(f"/staff/activities/{ref}?done=created", status_code=303)


async def _detail_page(request: Request, member, reference: str, status_code: int = 200, error: str = ""):
    try:
        a = await run_in_threadpool(views.activity, reference)
    except NotFound as exc:
        return staff_page(request, member, "message.html", 404, title=_("Activity not found"), message=str(exc))
    done = request.query_params.get("done", "")
    return staff_page(request, member, "staff_activity.html", status_code, a=a,
                      done=_(DONE[done]) if done in DONE else None, back="/staff/activities",
                      error_list=[{"text": error, "href": "#invited"}] if error else None)


@router.get("/staff/activities/{reference}")
async def activity_page(request: Request, reference: str):
    member, refused = await guard(request, *ORGANISER_ROLES)
    return refused or await _detail_page(request, member, reference)


@router.post("/staff/activities/{reference}/{what}")
async def activity_action(request: Request, reference: str, what: str):
    member, form, refused = await guarded_form(request, *ORGANISER_ROLES)
    if refused:
        return refused
    if what not in ("attended", "output"):
        return RedirectResponse(f"/staff/activities/{reference}", status_code=303)
    try:
        if what == "attended":
            await run_in_threadpool(lambda: service.attend(reference, person=form.get("person", ""), by=member.email))
        else:
            await run_in_threadpool(lambda: service.record_output(reference, text=form.get("output", ""),
                                                                  by=member.email))
    except InvolveError as exc:
        return await _detail_page(request, member, reference, 409, error=_plain(exc))
    except SQLAlchemyError:
        return await _detail_page(request, member, reference, 503, error=_("Please try again in a few minutes."))
    if wake := getattr(request.app.state, "wake", None):
        wake()
    return RedirectResponse(f"/staff/activities/{reference}?done={what}", status_code=303)
