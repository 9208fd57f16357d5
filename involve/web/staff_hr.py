"""HR's pages for the whole recruitment: start one (a form), the recruitment's page (panel and
attendance, job description draft, comments accepted or declined with a reason, the final text,
questions, scores, close) and panel training (sessions, attendance). Every form posts to one route
that calls the same service as the command line, with by = the signed-in member (hr or coordinator)."""
from __future__ import annotations

from datetime import date

from fastapi import APIRouter, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import RedirectResponse

from involve import clock
from involve.domain.dates import london_today
from involve.domain.recruitment_schema import parse_recruitment
from involve.errors import InvalidClaim, InvolveError, NotFound
from involve.services import recruitment, recruitment_hr, training
from involve.services.recruitment import RECRUITER_ROLES
from involve.views.recruitment import describe, list_recruitments, training_sessions
from involve.web.forms import date_parts
from involve.web.i18n import N_, _
from involve.web.staff import staff_page
from involve.web.staff_pages import guard, guarded_form

router = APIRouter(tags=["staff"], include_in_schema=False)
DONE = {"start": N_("Recruitment started. The first panel invitations go out now."),
        "attend": N_("Attendance recorded. The member has been thanked and sent their claim to confirm."),
        "comment": N_("Decision saved."), "jd-draft": N_("Draft job description saved."),
        "jd-final": N_("Final job description saved. Members who commented have been emailed."),
        "question-add": N_("Question added."), "question-used": N_("Question marked as used."),
        "score": N_("Score saved."), "close": N_("Recruitment closed."), "training": N_("Training session added."),
        "training-attend": N_("Training attendance recorded.")}


def _day(form, prefix: str) -> str:
    try:
        return date(int(form.get(f"{prefix}-year") or 0), int(form.get(f"{prefix}-month") or 0),
                    int(form.get(f"{prefix}-day") or 0)).isoformat()
    except ValueError:
        return ""


def _done(request: Request):
    done = request.query_params.get("done", "")
    return _(DONE[done]) if done in DONE else None


@router.get("/staff/recruitment")
async def recruitment_list(request: Request):
    member, refused = await guard(request, *RECRUITER_ROLES)
    if refused:
        return refused
    return staff_page(request, member, "staff_recruitments.html", done=_done(request),
                      recruitments=await run_in_threadpool(list_recruitments),
                      sessions=await run_in_threadpool(training_sessions), v={}, errors={})


def _start_form(request, member, status_code=200, v=None, errors=None):
    errors = errors or {}
    return staff_page(request, member, "staff_recruitment_new.html", status_code, v=v or {"panel_size": "2",
                      "start": "09:30", "end": "13:00"}, errors=errors, back="/staff/recruitment",
                      error_list=[{"text": m, "href": f"#{k}"} for k, m in errors.items()] or None)


@router.get("/staff/recruitment/new")
async def start_page(request: Request):
    member, refused = await guard(request, *RECRUITER_ROLES)
    return refused or _start_form(request, member)


@router.post("/staff/recruitment/new")
async def start(request: Request):
    member, form, refused = await guarded_form(request, *RECRUITER_ROLES)
    if refused:
        return refused
    form = date_parts(form)
    size = form.get("panel_size", "")
    data = {"title": form.get("title"), "staff_group": form.get("staff_group"), "borough": form.get("borough"),
            "service": form.get("service") or None, "interview_date": _day(form, "interview_date") or "none",
            "interview_start": form.get("start"), "interview_end": form.get("end"),
            "panel_size": int(size) if size.isdigit() else size,
            "job_description": form.get("job_description") or None, "decision_rule": form.get("decision_rule") or None}
    try:
        parsed = parse_recruitment(data, today=london_today(clock.now()))
        rec = await run_in_threadpool(lambda: recruitment.start(parsed, by=member.email))
    except InvalidClaim as exc:
        ids = {"interview_start": "start", "interview_end": "end"}
        return _start_form(request, member, 400, form, {ids.get(e["field"], e["field"]): f"{e['message']}"
                                                        for e in exc.errors})
    except InvolveError as exc:
        return _start_form(request, member, 409, form, {"title": str(exc)})
    if wake := getattr(request.app.state, "wake", None):
        wake()
    return RedirectResponse(f"/staff/recruitment/{rec.reference}?done=start", status_code=303)


async def _page(request: Request, member, reference: str, status_code: int = 200, error: str = "", v=None):
    try:
        rec = await run_in_threadpool(describe, reference)
    except NotFound:
        return staff_page(request, member, "message.html", 404, title=_("Recruitment not found"),
                          message=_("There is no recruitment %(ref)s.", ref=reference))
    return staff_page(request, member, "staff_recruitment.html", status_code, rec=rec, back="/staff/recruitment",
                      done=None if error else _done(request), v=v or {},
                      error_list=[{"text": error, "href": "#forms"}] if error else None)


@router.get("/staff/recruitment/{reference}")
async def recruitment_page(request: Request, reference: str):
    member, refused = await guard(request, *RECRUITER_ROLES)
    return refused or await _page(request, member, reference)


def _int(value: str | None, what: str) -> int:
    if not (value or "").strip().isdigit():
        raise InvolveError(_("Choose %(what)s", what=what))
    return int(value)


def _act(action: str, ref: str, form: dict, by: str) -> None:
    if action == "attend":
        recruitment.attend(ref, member=form.get("member", ""), by=by)
    elif action == "comment":
        recruitment_hr.decide_comment(ref, _int(form.get("comment_id"), _("a comment")),
                                      accept=form.get("decision") == "accept", reason=form.get("reason", ""), by=by)
    elif action == "jd-draft":
        recruitment_hr.set_draft(ref, form.get("text", ""), by=by)
    elif action == "jd-final":
        recruitment_hr.finalise_jd(ref, form.get("text", ""), comment_ids=None, by=by)
    elif action == "question-add":
        recruitment_hr.add_question(ref, form.get("text", ""), by=by)
    elif action == "question-used":
        recruitment_hr.mark_used(ref, _int(form.get("question"), _("a question")), by=by)
    elif action == "score":
        recruitment_hr.record_score(ref, member=form.get("member", ""), candidate=form.get("candidate", ""),
                                    question_id=_int(form.get("question"), _("a question")),
                                    score=_int(form.get("score"), _("a score")), comment=form.get("comment"), by=by)
    elif action == "close":
        recruitment.close(ref, outcome=form.get("outcome", ""), panel_view=form.get("panel_view"), by=by)
    else:
        raise NotFound(_("There is no such action."))


@router.post("/staff/recruitment/{reference}/{action}")
async def recruitment_action(request: Request, reference: str, action: str):
    member, form, refused = await guarded_form(request, *RECRUITER_ROLES)
    if refused:
        return refused
    form = date_parts(form)
    try:
        await run_in_threadpool(_act, action, reference, form, member.email)
    except InvolveError as exc:
        text = str(exc)
        return await _page(request, member, reference, 409, error=text[:1].upper() + text[1:], v=form)
    if wake := getattr(request.app.state, "wake", None):
        wake()
    return RedirectResponse(f"/staff/recruitment/{reference}?done={action}#{action}", status_code=303)


@router.post("/staff/training")
async def training_add(request: Request):
    member, form, refused = await guarded_form(request, *RECRUITER_ROLES)
    if refused:
        return refused
    form = date_parts(form)
    try:
        day = _day(form, "day")
        if not day:
            raise InvolveError(_("Enter a real date for the session, like 27 3 2027"))
        await run_in_threadpool(lambda: training.add_session(
            day=date.fromisoformat(day), start=form.get("start", ""), end=form.get("end", ""),
            capacity=_int(form.get("capacity"), _("how many places")), by=member.email, title=form.get("title")))
    except InvolveError as exc:
        return staff_page(request, member, "staff_recruitments.html", 400, v=form,
                          recruitments=await run_in_threadpool(list_recruitments),
                          sessions=await run_in_threadpool(training_sessions),
                          errors={"training": str(exc)}, error_list=[{"text": str(exc), "href": "#training"}])
    if wake := getattr(request.app.state, "wake", None):
        wake()
    return RedirectResponse("/staff/recruitment?done=training#training", status_code=303)


@router.post("/staff/training/{session_id}/attend")
async def training_attend(request: Request, session_id: int):
    member, form, refused = await guarded_form(request, *RECRUITER_ROLES)
    if refused:
        return refused
    form = date_parts(form)
    try:
        await run_in_threadpool(lambda: training.attend(session_id, member=form.get("member", ""), by=member.email))
    except InvolveError as exc:
        return staff_page(request, member, "staff_recruitments.html", 409, v={},
                          recruitments=await run_in_threadpool(list_recruitments),
                          sessions=await run_in_threadpool(training_sessions),
                          errors={}, error_list=[{"text": str(exc), "href": "#training"}])
    return RedirectResponse("/staff/recruitment?done=training-attend#training", status_code=303)
