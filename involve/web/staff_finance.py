"""Staff pages for finance (approved claims not yet paid, record a payment, the payment run as a CSV
download) and for HR (recruitments, read-only)."""
from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import FileResponse
from sqlalchemy.exc import SQLAlchemyError

from involve.errors import InvolveError
from involve.services import claims as claim_actions
from involve.settings import settings
from involve.views.finance import approved_claims_and_runs, payment_run_file_name
from involve.web.forms import csrf_failed, csrf_ok
from involve.web.i18n import _
from involve.web.staff import staff_page
from involve.web.staff_pages import DONE, guard

router = APIRouter(tags=["staff"], include_in_schema=False)


async def _finance_page(request: Request, member, status_code: int = 200, error: str = ""):
    claims, runs = await run_in_threadpool(approved_claims_and_runs)
    done = request.query_params.get("done", "")
    return staff_page(request, member, "staff_finance.html", status_code, claims=claims, runs=runs,
                      done=_(DONE[done]) if done in DONE else None, done_ref=request.query_params.get("ref"),
                      error_list=[{"text": error, "href": "#run"}] if error else None)


@router.get("/staff/finance")
async def finance(request: Request):
    member, refused = await guard(request, "finance")
    return refused or await _finance_page(request, member)


@router.post("/staff/finance/run")
async def payment_run(request: Request):
    member, refused = await guard(request, "finance")
    if refused:
        return refused
    form = await request.form()
    if not csrf_ok(request, form):
        return csrf_failed()
    try:
        result = await run_in_threadpool(lambda: claim_actions.payment_run(
            by=member.email, out_dir=settings.payment_runs_dir, include_bank_details=form.get("bank_details") == "yes"))
    except (InvolveError, SQLAlchemyError) as exc:
        return await _finance_page(request, member, 409, error=str(exc))
    if result.path is None:
        return await _finance_page(request, member, 409, error=_("There are no approved claims to pay."))
    return FileResponse(result.path, media_type="text/csv", filename=result.path.name)


@router.get("/staff/finance/runs/{run_id}")
async def payment_run_file(request: Request, run_id: int):
    member, refused = await guard(request, "finance")
    if refused:
        return refused

    name = await run_in_threadpool(payment_run_file_name, run_id)
    path = settings.payment_runs_dir / name if name else None
    if path is None or not path.is_file():
        return staff_page(request, member, "message.html", 404, title=_("File not found"),
                          message=_("This payment run file is not on this server."))
    return FileResponse(path, media_type="text/csv", filename=path.name)


def _recruitments() -> list[dict]:
    from involve.views.recruitment import list_recruitments

    return list_recruitments()


@router.get("/staff/recruitment")
async def recruitment_list(request: Request):
    member, refused = await guard(request, "hr", "coordinator")
    if refused:
        return refused
    return staff_page(request, member, "staff_recruitments.html",
                      recruitments=await run_in_threadpool(_recruitments))


@router.get("/staff/recruitment/{reference}")
async def recruitment_page(request: Request, reference: str):
    member, refused = await guard(request, "hr", "coordinator")
    if refused:
        return refused
    try:
        from involve.views.recruitment import describe

        rec = await run_in_threadpool(describe, reference)
    except (ImportError, InvolveError):
        return staff_page(request, member, "message.html", 404, title=_("Recruitment not found"),
                          message=_("There is no recruitment %(ref)s.", ref=reference))
    return staff_page(request, member, "staff_recruitment.html", rec=rec, back="/staff/recruitment")
