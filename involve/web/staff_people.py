"""Staff pages for who does what: an admin's list of staff (give roles, take a role away, deactivate),
and the away page (a member of staff, or a co-ordinator or admin for them, sets away dates and who
covers). Every change goes through involve.services.staff_admin with by = the signed-in member, so
the authority rules are the commands' rules."""
from __future__ import annotations

from datetime import date

from fastapi import APIRouter, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import RedirectResponse

from involve.domain.authority import AWAY_SETTERS
from involve.errors import InvolveError
from involve.services import staff_admin
from involve.views.staff import list_staff
from involve.web.forms import csrf_failed, csrf_ok, date_parts
from involve.web.i18n import N_, _
from involve.web.staff_pages import guard, guarded_form

router = APIRouter(tags=["staff"], include_in_schema=False)
ROLE_LABELS = {"admin": N_("Admin"), "coordinator": N_("Co-ordinator"), "lead": N_("Activity lead"),
               "finance": N_("Finance"), "hr": N_("HR"), "ppi_lead": N_("PPI lead")}
DONE = {"add": N_("Roles saved. Every admin has been emailed."), "remove": N_("Role removed."),
        "deactivate": N_("Deactivated and signed out everywhere."), "away": N_("Away dates saved.")}


def _page(request, member, template: str, status_code: int = 200, error: str = "", **ctx):
    from involve.web.staff import staff_page

    done = request.query_params.get("done", "")
    return staff_page(request, member, template, status_code, role_labels=ROLE_LABELS,
                      done=_(DONE[done]) if done in DONE else None,
                      error_list=[{"text": error, "href": "#main-form"}] if error else None, **ctx)


@router.get("/staff/people")
async def people(request: Request):
    member, refused = await guard(request, "admin")
    if refused:
        return refused
    return _page(request, member, "staff_people.html", people=await run_in_threadpool(list_staff),
                 v={})


@router.post("/staff/people/{action}")
async def people_action(request: Request, action: str):
    member, refused = await guard(request, "admin")
    if refused:
        return refused
    form = await request.form()
    if not csrf_ok(request, form) or action not in ("add", "remove", "deactivate"):
        return csrf_failed()
    email = str(form.get("email") or "").strip()
    try:
        if action == "add":
            roles = [str(r) for r in form.getlist("roles")]
            await run_in_threadpool(lambda: staff_admin.grant(email, str(form.get("name") or ""), roles,
                                                              by=member.email))
        elif action == "remove":
            await run_in_threadpool(lambda: staff_admin.remove_role(email, str(form.get("role") or ""),
                                                                    by=member.email))
        else:
            await run_in_threadpool(lambda: staff_admin.deactivate(email, by=member.email))
    except InvolveError as exc:
        return _page(request, member, "staff_people.html", 400, error=str(exc),
                     people=await run_in_threadpool(list_staff), v={k: str(v) for k, v in form.items()})
    return RedirectResponse(f"/staff/people?done={action}", status_code=303)


async def _away_page(request: Request, member, status_code: int = 200, error: str = "", v: dict | None = None):
    everyone = [p for p in await run_in_threadpool(list_staff) if p["active"]]
    me = next((p for p in everyone if p["email"] == member.email), None)
    return _page(request, member, "staff_away.html", status_code, error=error, me=me, everyone=everyone,
                 for_others=member.has_role(*AWAY_SETTERS), v=v or {"email": member.email})


@router.get("/staff/away")
async def away(request: Request):
    member, refused = await guard(request)
    return refused or await _away_page(request, member)


def _day(form, prefix: str) -> date:
    try:
        return date(int(form.get(f"{prefix}-year") or 0), int(form.get(f"{prefix}-month") or 0),
                    int(form.get(f"{prefix}-day") or 0))
    except ValueError:
        raise InvolveError(_("Enter a real date, like 27 3 2027")) from None


@router.post("/staff/away")
async def set_away(request: Request):
    member, form, refused = await guarded_form(request)
    if refused:
        return refused
    form = date_parts(form)
    try:
        start, end = _day(form, "from"), _day(form, "to")
        whose = form.get("email") or member.email
        await run_in_threadpool(lambda: staff_admin.set_away(whose, start, end, form.get("delegate") or None,
                                                             by=member.email))
    except InvolveError as exc:
        return await _away_page(request, member, 400, error=str(exc), v=form)
    if wake := getattr(request.app.state, "wake", None):
        wake()
    return RedirectResponse("/staff/away?done=away", status_code=303)
