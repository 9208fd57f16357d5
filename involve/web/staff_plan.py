"""Staff page for the Action Plan: every action with its status and latest update, and a form to
record progress (status and a note) through involve.services.plan with by = the signed-in member
(the service checks the roles)."""
from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import RedirectResponse
from sqlalchemy.exc import SQLAlchemyError

from involve.domain.programme import PLAN_STATUSES, PROGRAMME_ROLES
from involve.errors import InvolveError
from involve.services import plan
from involve.views.programme import plan_actions
from involve.web.i18n import N_, _
from involve.web.staff import staff_page
from involve.web.staff_pages import guard, guarded_form

router = APIRouter(tags=["staff"], include_in_schema=False)
STATUS_LABELS = {"not_started": N_("Not started"), "on_track": N_("On track"), "at_risk": N_("At risk"),
                 "done": N_("Done")}
STATUS_COLOURS = {"not_started": "grey", "on_track": "green", "at_risk": "orange", "done": "blue"}


async def _page(request: Request, member, status_code: int = 200, error: str = "", form: dict | None = None):
    actions = await run_in_threadpool(plan_actions)
    done = request.query_params.get("done", "")
    v = form or {}
    action_items = [{"value": a["id"], "text": f"{a['id']} {a['action'][:80]}", "selected": v.get("action") == a["id"]}
                    for a in actions]
    status_items = [{"value": s, "text": _(STATUS_LABELS[s]), "selected": v.get("status") == s} for s in PLAN_STATUSES]
    return staff_page(request, member, "staff_plan.html", status_code, actions=actions, action_items=action_items,
                      status_items=status_items, labels=STATUS_LABELS,
                      colours=STATUS_COLOURS, done=_("Progress recorded for action %(id)s.", id=done) if done else None,
                      v=v, error_list=[{"text": error, "href": "#update"}] if error else None)


@router.get("/staff/plan")
async def plan_page(request: Request):
    member, refused = await guard(request, *PROGRAMME_ROLES)
    return refused or await _page(request, member)


@router.post("/staff/plan/update")
async def plan_update(request: Request):
    member, form, refused = await guarded_form(request, *PROGRAMME_ROLES)
    if refused:
        return refused
    code = form.get("action", "")
    try:
        await run_in_threadpool(lambda: plan.update(code, status=form.get("status", ""), note=form.get("note", ""),
                                                    by=member.email))
    except InvolveError as exc:
        text = str(exc)
        return await _page(request, member, 409, error=text[:1].upper() + text[1:], form=form)
    except SQLAlchemyError:
        return await _page(request, member, 503, error=_("Please try again in a few minutes."), form=form)
    return RedirectResponse(f"/staff/plan?done={code}", status_code=303)
