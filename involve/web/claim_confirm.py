"""The person's Confirm: and Withdraw: links for a claim the system prepared for them (an
interview panel, panel training): `involve.services.activity_claims`.

Confirm (GET) shows the activity and one form: keep or decline the fee, the costs (the claim form's
fields and messages, `involve.web.claim_fields`), how to be paid (bank details only for a bank
transfer) and the declaration, which is never ticked for them. The POST builds the canonical claim;
any rule it breaks comes back as the same page with an error summary (400), nothing changed.
A second, smaller form on the page withdraws the claim; the Withdraw: link's page only withdraws.
"""
from __future__ import annotations

from involve.domain.bank import account_passes_modulus_check
from involve.errors import InvalidClaim, WrongState
from involve.services import activity_claims as ac
from involve.views.claims import claim_by_reference
from involve.web import claim_fields as cf
from involve.web.actions import ActionHandler, FormInvalid, register
from involve.web.i18n import N_, _
from involve.web.pages import long_date
from models import Claim, LinkToken

LATER = "later"  # no payment method yet: the involvement team arranges it with the person
METHODS = {LATER: N_("Ask me: the involvement team will contact me about how to pay me"), **cf.METHODS}
COST_FIELDS = {"car": ("car_miles", "car_passengers"), "bicycle": ("bicycle_miles",),
               "other": ("other", "other_description")}  # other costs: one amount field each
FIELDS = ("fee", *cf.FIELDS["expenses"], "method", *cf.FIELDS["bank"], "declaration")
FIRST_FIELD = {"costs": "public_transport", "fee": "fee", "method": "method", "declaration": "declaration"}


def _claim(session, token: LinkToken) -> Claim:
    claim = claim_by_reference(session, token.reference)
    if claim.status != "awaiting_confirmation":
        raise WrongState(_("Claim %(ref)s has already been sent or withdrawn, so this link cannot change it. "
                           "If something is wrong, contact the involvement team.", ref=claim.reference))
    return claim


def _rows(claim: Claim) -> list[tuple[str, str]]:
    rows = [(_("Activity"), claim.activity_title),
            (_("What you did"), _(cf.KINDS.get(claim.activity_kind, claim.activity_kind))),
            (_("Date"), long_date(claim.activity_date)),
            (_("Time"), _("%(start)s to %(end)s", start=claim.activity_start, end=claim.activity_end)),
            (_("Where"), _(cf.BOROUGHS.get(claim.borough, claim.borough)))]
    if claim.activity_reference:
        rows.append((_("Reference"), claim.activity_reference))
    return rows


def _show(session, token: LinkToken):
    claim = _claim(session, token)
    page = {"caption": claim.reference, "rows": _rows(claim), "reference": claim.reference,
            "intro": _("Hello %(name)s,", name=claim.claimant_name)}
    if token.action == ac.WITHDRAW:
        page.update(heading=_("Withdraw your claim"), button=_("I do not want to claim for this"),
                    decision="withdraw", warning=True,
                    notes=[_("You will not be paid the involvement fee or your costs for this activity."),
                           _("You do not need to give a reason.")], notes_heading=_("If you withdraw"))
        return "action.html", page
    v = {"fee": "yes" if claim.fee_claimed else "no", "method": claim.payment_method or LATER}
    return "action_confirm_claim.html", dict(page, heading=_("Confirm your claim"), v=v, errors={},
                                             error_list=[], cf=cf, methods=METHODS)


def answers_from(v: dict) -> tuple[dict, list[tuple[str, str]]]:
    """The person's part of the canonical claim from the page's answers, and the expense lines'
    (cost, form field) for mapping errors back. A cost is claimed when any of its boxes is filled."""
    v = dict(v, costs=[c for c in cf.COSTS if any(v.get(f) for f in COST_FIELDS.get(c, (c,)))])
    if v.get("method") == LATER:
        v["method"] = ""
    claim, lines = cf.build_claim(v, submission_id="", declaration=v.get("declaration") == "yes")
    return {k: claim[k] for k in ac.ANSWERS if k in claim}, lines


def _errors(exc: InvalidClaim, v: dict, lines) -> dict:
    errors = cf.map_errors(exc.errors, lines, v)
    if "costs" in errors:
        errors["costs"] = _("Enter a cost, or choose to have the involvement fee")
    return errors


def _confirm(token: LinkToken, signed: str, form) -> str:
    if form.get("decision") == "withdraw":
        return _withdraw(token, signed, form)
    v = {name: str(form.get(name) or "").strip()[:500] for name in FIELDS}
    if v["method"] != "bank_transfer":
        v.update(dict.fromkeys(cf.FIELDS["bank"], ""))
    answers, lines = answers_from(v)
    try:
        pay = answers.get("payment") or {}
        if pay.get("sort_code") and pay.get("account_number") and \
                not account_passes_modulus_check(pay["sort_code"], pay["account_number"]):
            raise InvalidClaim([{"field": "payment.account_number", "message": cf.BANK_CHECK_FAILED}])
        claim = ac.confirm(token.reference, answers, by=token.holder_email, link_token=signed)
    except InvalidClaim as exc:
        errors = _errors(exc, v, lines)
        if "account_number" in errors and any(e["message"] == cf.BANK_CHECK_FAILED for e in exc.errors):
            errors["account_number"] = _(cf.BANK_CHECK_FAILED)
        raise FormInvalid({"v": v, "errors": errors, "error_list": [
            {"text": msg, "href": f"#{FIRST_FIELD.get(field, cf.anchor(field))}"}
            for field, msg in errors.items()]}) from None
    return _("Thank you. Your claim %(ref)s has been sent. We will email you when it has been checked.",
             ref=claim.reference)


def _withdraw(token: LinkToken, signed: str, form) -> str:
    claim = ac.withdraw(token.reference, by=token.holder_email, link_token=signed)
    return _("Your claim %(ref)s is withdrawn: you will not be paid for this activity. If this is a mistake, "
             "contact the involvement team.", ref=claim.reference)


register(ac.CONFIRM, ActionHandler(_show, _confirm))
register(ac.WITHDRAW, ActionHandler(_show, _withdraw))
