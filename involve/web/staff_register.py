"""Co-ordinators' register pages: the list (search, filters), a person's page with their involvement
history, edit, deactivate, send them their `Update your details:` link, and a CSV export. Changes go
through involve.services.register with by = the signed-in member (coordinator, PPI lead or admin).
Nothing here shows bank details."""
from __future__ import annotations

import csv
import io
from urllib.parse import urlencode

from fastapi import APIRouter, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import RedirectResponse, Response

from involve.domain import register_fields as rf
from involve.domain.authority import REGISTER_EDITORS
from involve.errors import InvolveError, NotFound
from involve.services import register as register_service
from involve.views.register import FIELDS, list_people, people_page, show_person
from involve.web.forms import csrf_failed, csrf_ok
from involve.web.i18n import N_, _
from involve.web.labels import BOROUGHS
from involve.web.staff import staff_page
from involve.web.staff_pages import guard, guarded_form

router = APIRouter(tags=["staff"], include_in_schema=False)
DONE = {"edit": N_("Details saved."), "deactivate": N_("This person is no longer active in the register."),
        "link": N_("We have emailed them a link to update their details.")}


def _filters(request: Request) -> dict:
    q = request.query_params
    return {"q": q.get("q", "").strip()[:100], "borough": q.get("borough", "") if q.get("borough") in BOROUGHS else "",
            "status": q.get("status", "") if q.get("status") in ("active", "inactive") else "",
            "role": q.get("role", "") if q.get("role") in ("carer", "service_user") else ""}


def _with_query(path: str, query: dict) -> str:
    return f"{path}?{urlencode(query)}" if query else path


@router.get("/staff/register")
async def register_list(request: Request, after: str = ""):
    member, refused = await guard(request, *REGISTER_EDITORS)
    if refused:
        return refused
    f = _filters(request)
    page = await run_in_threadpool(lambda: people_page(f["q"], f["borough"], f["status"], f["role"],
                                                       after=int(after) if after.isdigit() else None))
    query = {k: v for k, v in f.items() if v}
    return staff_page(request, member, "staff_register.html", people=page.people, total=page.total,
                      first=page.first, filters=f,
                      export_url="/staff/register.csv?" + urlencode(query),
                      next_url="/staff/register?" + urlencode({**query, "after": page.next_after})
                      if page.next_after else None,
                      first_url=_with_query("/staff/register", query) if after else None)


@router.get("/staff/register.csv")
async def register_csv(request: Request):
    member, refused = await guard(request, *REGISTER_EDITORS)
    if refused:
        return refused
    f = _filters(request)
    people = await run_in_threadpool(lambda: list_people(f["q"], f["borough"], f["status"], f["role"],
                                                         limit=1_000_000))
    buf = io.StringIO()
    w = csv.DictWriter(buf, fieldnames=FIELDS, extrasaction="ignore")
    w.writeheader()
    for p in people:
        w.writerow({**p, "unavailable": " ".join(p["unavailable"]), "mapping_categories": " ".join(
            p["mapping_categories"])})
    return Response(buf.getvalue(), media_type="text/csv; charset=utf-8",
                    headers={"Content-Disposition": 'attachment; filename="involvement-register.csv"'})


async def _person_page(request: Request, member, ref: str, status_code: int = 200, error: str = ""):
    try:
        person = await run_in_threadpool(show_person, ref)
    except NotFound:
        return staff_page(request, member, "message.html", 404, title=_("Person not found"),
                          message=_("There is nobody %(ref)s in the register.", ref=ref))
    done = request.query_params.get("done", "")
    return staff_page(request, member, "staff_person.html", status_code, person=person, back="/staff/register",
                      done=_(DONE[done]) if done in DONE else None,
                      error_list=[{"text": error, "href": "#actions"}] if error else None)


@router.get("/staff/register/{ref}")
async def person_page(request: Request, ref: str):
    member, refused = await guard(request, *REGISTER_EDITORS)
    return refused or await _person_page(request, member, ref)


def _edit_context(person: dict, v: dict | None = None, errors: dict | None = None) -> dict:
    return {"person": person, "v": v or {**person, "recruitment_consent": "yes" if person["recruitment_consent"]
                                         else "no", "takes_part_as": person["role"]},
            "errors": errors or {}, "boroughs": BOROUGHS,
            "questions": [{"name": f, "legend": _(label), "options": {k: _(x) for k, x in rf.options(f).items()}}
                          for f, (label, _v) in rf.EQUALITY.items()],
            "formats": {k: _(x) for k, x in rf.FORMATS.items()},
            "takes_part": {k: _(x) for k, x in rf.TAKES_PART_AS.items()}}


@router.get("/staff/register/{ref}/edit")
async def edit_page(request: Request, ref: str):
    member, refused = await guard(request, *REGISTER_EDITORS)
    if refused:
        return refused
    try:
        person = await run_in_threadpool(show_person, ref)
    except NotFound:
        return await _person_page(request, member, ref)
    return staff_page(request, member, "staff_person_edit.html", back=f"/staff/register/{ref}",
                      **_edit_context(person))


@router.post("/staff/register/{ref}/edit")
async def edit(request: Request, ref: str):
    member, form, refused = await guarded_form(request, *REGISTER_EDITORS)
    if refused:
        return refused
    try:
        person = await run_in_threadpool(show_person, ref)
    except NotFound:
        return await _person_page(request, member, ref)
    changes, errors = rf.check_details(form)
    name, borough = form.get("name", "").strip(), form.get("borough", "")
    if not name:
        errors["name"] = "Enter the person's name"
    if borough and borough not in BOROUGHS:
        errors["borough"] = "Choose a borough"
    if errors:
        messages = {k: _(m) for k, m in errors.items()}
        return staff_page(request, member, "staff_person_edit.html", 400, back=f"/staff/register/{ref}",
                          error_list=[{"text": m, "href": f"#{k}"} for k, m in messages.items()],
                          **_edit_context(person, form, messages))
    changes.update(name=name, borough=borough or None)
    await run_in_threadpool(lambda: register_service.edit(person["email"], changes, by=member.email))
    return RedirectResponse(f"/staff/register/{ref}?done=edit", status_code=303)


@router.post("/staff/register/{ref}/{action}")
async def person_action(request: Request, ref: str, action: str):
    member, refused = await guard(request, *REGISTER_EDITORS)
    if refused:
        return refused
    form = await request.form()
    if not csrf_ok(request, form) or action not in ("deactivate", "link"):
        return csrf_failed()
    try:
        email = (await run_in_threadpool(show_person, ref))["email"]
        if action == "deactivate":
            await run_in_threadpool(lambda: register_service.deactivate(email, by=member.email))
        else:
            await run_in_threadpool(lambda: register_service.send_details_link(email, by=member.email))
    except InvolveError as exc:
        return await _person_page(request, member, ref, 409, error=str(exc))
    if action == "link" and (wake := getattr(request.app.state, "wake", None)):
        wake()
    return RedirectResponse(f"/staff/register/{ref}?done={action}", status_code=303)


