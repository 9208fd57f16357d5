"""The person's payment-details links: `Payment details:` (give or correct bank details for a claim:
`involve.services.payee_changes.give_details`) and `Confirm bank details:` (confirm or disown bank
details that arrived on a claim in their name: `answer_change`). GET shows the page, POST acts."""
from __future__ import annotations

from involve.services import payee_changes
from involve.services.payees import ASK_DETAILS, CONFIRM_CHANGE, payees_by_email
from involve.views.claims import claim_by_reference
from involve.web import claim_fields as cf
from involve.web.actions import ActionHandler, FormInvalid, register
from involve.web.i18n import _
from involve.web.pages import long_date
from models import LinkToken

BANK = ("account_name", "sort_code", "account_number")


def _rows(claim) -> list[tuple[str, str]]:
    return [(_("Claim"), claim.reference), (_("Activity"), claim.activity_title),
            (_("Date"), long_date(claim.activity_date))]


def _show_details(session, token: LinkToken):
    claim = claim_by_reference(session, token.reference)
    return "action_payment_details.html", {
        "heading": _("Your payment details"), "caption": claim.reference, "rows": _rows(claim),
        "intro": _("Hello %(name)s, tell us the bank account to pay you into.", name=claim.claimant_name),
        "button": _("Save my payment details"), "v": {}, "errors": {}, "error_list": []}


def bank_answers(form) -> tuple[dict, dict[str, str]]:
    """(the bank details as given, {field: message}) checked as the claim form checks them: every field
    given and well formed, and the sort code and account number passing the bank's modulus check.
    Also used by the person's own page (involve/web/register_links.py)."""
    v = {k: str(form.get(k) or "").strip()[:100] for k in BANK}
    v["sort_code"] = cf._sort_code(v["sort_code"]) or ""
    errors = cf.check({**v, "method": "bank_transfer"}, submission_id="", steps=("bank",))
    return v, {k: m for k, m in errors.items() if k in BANK}


def _give_details(token: LinkToken, signed: str, form) -> str:
    v, errors = bank_answers(form)
    if not errors:
        try:
            result = payee_changes.give_details(signed, **v)
        except payee_changes.BankDetailsInvalid:
            errors = {"account_number": _(cf.BANK_CHECK_FAILED)}
    if errors:
        raise FormInvalid({"v": v, "errors": errors, "error_list": [
            {"text": msg, "href": f"#{field}"} for field, msg in errors.items()]})
    if result.needs_check:
        return _("Thank you. These are new bank details, so our finance team will check the change before "
                 "we pay you. Claim %(ref)s will then be paid into the new account.", ref=result.reference)
    return _("Thank you. We will pay claim %(ref)s into this account.", ref=result.reference)


def _show_change(session, token: LinkToken):
    claim = claim_by_reference(session, token.reference)
    payee = payees_by_email(session, {token.holder_email}).get(token.holder_email)
    rows = [(_("Claim"), claim.reference),
            (_("Account we hold"), (payee.bank_details_masked if payee else None) or _("none")),
            (_("New account on the claim"), (payee.pending_masked if payee else None) or _("none"))]
    return "action.html", {
        "heading": _("Did you change your bank details?"), "caption": claim.reference, "rows": rows,
        "intro": _("Claim %(ref)s was sent in your name with bank details different from the ones we hold.",
                   ref=claim.reference),
        "notes": [_("Our finance team checks every change before we pay into a new account."),
                  _("If you did not make this change, someone may be trying to take your payment: choose "
                    "'I did not make this change' and contact us.")],
        "fields": [{"type": "checkbox", "name": "disown", "value": "yes",
                    "label": _("I did not make this change")}],
        "button": _("Send my answer")}


def _answer_change(token: LinkToken, signed: str, form) -> str:
    disown = form.get("disown") == "yes"
    ref = payee_changes.answer_change(signed, confirm=not disown)
    if disown:
        return _("Thank you. We will not use the new bank details. Please contact us about claim %(ref)s.", ref=ref)
    return _("Thank you. Our finance team will check the change before we pay claim %(ref)s.", ref=ref)


register(ASK_DETAILS, ActionHandler(_show_details, _give_details))
register(CONFIRM_CHANGE, ActionHandler(_show_change, _answer_change))
