"""Staff pages for finance: claims ready to pay (with the payment method) and those waiting for
payment details, payment runs (make one as CSV or Bacs 18, download, mark paid after a confirmation
step), failed payments, and changes of bank details waiting for a finance check. HR's pages:
involve/web/staff_hr.py."""
from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import FileResponse, RedirectResponse
from sqlalchemy.exc import SQLAlchemyError

from involve.errors import InvolveError
from involve.i18n import ngettext
from involve.services import payee_changes, payment_details_asks, payment_runs
from involve.settings import settings
from involve.views import finance as finance_views
from involve.web.i18n import N_, _
from involve.web.pages import date_and_time
from involve.web.staff import staff_page
from involve.web.staff_pages import DONE, guard, guarded_form

router = APIRouter(tags=["staff"], include_in_schema=False)
FINANCE_DONE = {**DONE, "mark_paid": N_("Payment run marked paid. We have told each person."),
                "checked": N_("Change of bank details checked. The new details will be used."),
                "asked": N_("We have emailed the person a new link to give their payment details for claim")}


def _page_data() -> dict:
    to_pay, runs = finance_views.approved_claims_and_runs()
    return {"ready": [t for t in to_pay if t.ready], "held": [t for t in to_pay if not t.ready], "runs": runs,
            "returned": finance_views.failures_by_run([r.id for r in runs]),
            "shown": len(to_pay), "total": finance_views.payable_count(),
            "failed": finance_views.failed_payments(), "changes": finance_views.bank_changes_waiting()}


async def _finance_page(request: Request, member, status_code: int = 200, error: str = "", anchor: str = "run"):
    data = await run_in_threadpool(_page_data)
    done = request.query_params.get("done", "")
    return staff_page(request, member, "staff_finance.html", status_code, **data,
                      done=_(FINANCE_DONE[done]) if done in FINANCE_DONE else None,
                      done_ref=request.query_params.get("ref"),
                      error_list=[{"text": error, "href": f"#{anchor}"}] if error else None)


@router.get("/staff/finance")
async def finance(request: Request):
    member, refused = await guard(request, "finance")
    return refused or await _finance_page(request, member)


async def _form(request: Request):
    return await guarded_form(request, "finance")


@router.post("/staff/finance/run")
async def payment_run(request: Request):
    member, form, refused = await _form(request)
    if refused:
        return refused
    file_format = "bacs18" if form.get("format") == "bacs18" else "csv"
    try:
        result = await run_in_threadpool(lambda: payment_runs.create_run(
            by=member.email, out_dir=settings.payment_runs_dir, file_format=file_format,
            include_bank_details=form.get("bank_details") == "yes"))
    except payment_runs.NothingToPay:
        return await _finance_page(request, member, 409, error=_(
            "No claim is ready to pay. Claims waiting for payment details or a check are listed under "
            "'Waiting for payment details'."))
    except (InvolveError, SQLAlchemyError) as exc:
        return await _finance_page(request, member, 409, error=str(exc))
    media = "text/plain" if file_format == "bacs18" else "text/csv"
    return FileResponse(result.path, media_type=media, filename=result.path.name)


@router.get("/staff/finance/runs/{reference}")
async def payment_run_file(request: Request, reference: str):
    member, refused = await guard(request, "finance")
    if refused:
        return refused
    name = await run_in_threadpool(finance_views.payment_run_file_name, reference)
    path = settings.payment_runs_dir / name if name else None
    if path is None or not path.is_file():
        return staff_page(request, member, "message.html", 404, title=_("File not found"),
                          message=_("This payment run file is not on this server."))
    return FileResponse(path, media_type="text/plain" if path.suffix == ".txt" else "text/csv", filename=path.name)


@router.get("/staff/finance/runs/{reference}/mark-paid")
async def mark_paid_page(request: Request, reference: str):
    member, refused = await guard(request, "finance")
    if refused:
        return refused
    try:
        run, claims, returned = await run_in_threadpool(finance_views.run_detail, reference)
    except InvolveError as exc:
        return staff_page(request, member, "message.html", 404, title=_("Payment run not found"), message=str(exc))
    is_open = run.status == "open"
    shown = [c for c in claims if c.status != "paid"] if is_open else claims
    return staff_page(request, member, "staff_confirm.html", back="/staff/finance",
                      heading=_("Mark payment run %(ref)s paid", ref=run.reference) if is_open
                      else _("Payment run %(ref)s", ref=run.reference),
                      intro=_("Only do this once the bank has made the payments. Each person gets a 'paid' email.")
                      if is_open else _("This run was marked paid on %(date)s by %(by)s.",
                                        date=date_and_time(run.paid_at), by=run.paid_by),
                      rows=[(c.reference, f"{c.claimant_name}: £{payment_runs.bank_amount(c):.2f} "
                             f"({_((c.payment_method or 'bank_transfer').replace('_', ' '))}, "
                             f"{c.bank_details_masked or '-'})") for c in shown],
                      returned=[(f.reference, _("%(name)s: £%(amount)s. The bank's reason: %(reason)s (recorded "
                                               "%(date)s by %(by)s)", name=f.claimant_name, amount=f"{f.amount:.2f}",
                                               reason=f.reason, date=date_and_time(f.recorded_at),
                                               by=f.recorded_by)) for f in returned],
                      action=f"/staff/finance/runs/{run.reference}/mark-paid", fields={},
                      button=(ngettext("Yes, mark %(num)d claim paid", "Yes, mark %(num)d claims paid", len(shown))
                              % {"num": len(shown)}) if is_open else None)


@router.post("/staff/finance/runs/{reference}/mark-paid")
async def mark_paid(request: Request, reference: str):
    member, form, refused = await _form(request)
    if refused:
        return refused
    try:
        run, _paid = await run_in_threadpool(lambda: payment_runs.mark_paid(reference, by=member.email))
    except (InvolveError, SQLAlchemyError) as exc:
        return await _finance_page(request, member, 409, error=str(exc), anchor="runs")
    if wake := getattr(request.app.state, "wake", None):
        wake()
    return RedirectResponse(f"/staff/finance?done=mark_paid&ref={run.reference}", status_code=303)


@router.get("/staff/finance/pay/{reference}")
async def pay_page(request: Request, reference: str):
    """The confirmation step before recording one payment by hand: amount and payment method shown."""
    member, refused = await guard(request, "finance")
    if refused:
        return refused
    from involve.views.claims import claim_with_history

    try:
        claim, _history = await run_in_threadpool(claim_with_history, reference)
    except InvolveError as exc:
        return staff_page(request, member, "message.html", 404, title=_("Claim not found"), message=str(exc))
    method = (claim.payment_method or _("not given")).replace("_", " ")
    return staff_page(request, member, "staff_confirm.html", back="/staff/finance",
                      heading=_("Record payment of claim %(ref)s", ref=claim.reference),
                      intro=_("Only record a payment you have made outside a payment run."),
                      rows=[(_("Name"), claim.claimant_name), (_("Amount"), f"£{claim.payable_amount:.2f}"),
                            (_("Payment method"), method), (_("Account"), claim.bank_details_masked or "-")],
                      action=f"/staff/claims/{claim.reference}/pay", fields={"next": "/staff/finance"},
                      payment_ref=True, button=_("Yes, record this payment"))


@router.post("/staff/finance/ask-details/{reference}")
async def ask_details(request: Request, reference: str):
    """Send the person a fresh `Payment details:` link now (the daily flow also does, a bounded number of times)."""
    member, form, refused = await _form(request)
    if refused:
        return refused
    try:
        ref = await run_in_threadpool(lambda: payment_details_asks.ask_now(reference, by=member.email))
    except (InvolveError, SQLAlchemyError) as exc:
        return await _finance_page(request, member, 409, error=str(exc), anchor="held")
    if wake := getattr(request.app.state, "wake", None):
        wake()
    return RedirectResponse(f"/staff/finance?done=asked&ref={ref}", status_code=303)


@router.get("/staff/finance/bank-changes/{payee_id}")
async def bank_change_page(request: Request, payee_id: int):
    member, refused = await guard(request, "finance")
    if refused:
        return refused
    change = next((p for p in await run_in_threadpool(finance_views.bank_changes_waiting) if p.id == payee_id), None)
    if change is None:
        return staff_page(request, member, "message.html", 404, title=_("No change waiting"),
                          message=_("There is no change of bank details waiting for a check."))
    confirmed = change.pending_confirmed_at is not None
    return staff_page(request, member, "staff_confirm.html", back="/staff/finance",
                      heading=_("Check a change of bank details"),
                      intro=_("Check the change with the person by phone, using the number we already hold, "
                              "before you accept it."),
                      rows=[(_("Person"), change.email), (_("Account we hold"), change.bank_details_masked or "-"),
                            (_("New account"), change.pending_masked),
                            (_("Confirmed by the person"), _("Yes") if confirmed else _("Not yet"))],
                      action="/staff/finance/bank-changes/check", fields={"email": change.email},
                      button=_("The change is genuine: use the new details") if confirmed else None,
                      note=None if confirmed else _("The person has not confirmed the change through the link "
                                                    "we emailed them yet."))


@router.post("/staff/finance/bank-changes/check")
async def bank_change_check(request: Request):
    member, form, refused = await _form(request)
    if refused:
        return refused
    try:
        await run_in_threadpool(lambda: payee_changes.check_change(form.get("email", ""), by=member.email))
    except (InvolveError, SQLAlchemyError) as exc:
        return await _finance_page(request, member, 409, error=str(exc), anchor="changes")
    return RedirectResponse("/staff/finance?done=checked", status_code=303)
