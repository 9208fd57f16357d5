"""The person's own page behind the `Update your details:` link: consent to be invited, availability,
access needs, the language and format we write in, how we pay them (bank details or payroll numbers,
to the payee record held once: involve/services/payee_changes.py) and optional self-declared equality
answers (each with "prefer not to say"). GET shows the form filled with what we hold (payment details
masked, never in full); the POST saves it (the link then works no more). The link is emailed on request
(/your-details), by a co-ordinator, and with every invitation."""
from __future__ import annotations

from involve import i18n
from involve.domain import register_fields as rf
from involve.errors import LinkInvalid
from involve.services.payee_changes import BankDetailsInvalid
from involve.services.register import UPDATE_DETAILS, update_own_details
from involve.views.register import own_payment_details, person_for_link
from involve.web import claim_fields as cf
from involve.web.actions import ActionHandler, FormInvalid, register
from involve.web.i18n import _
from involve.web.payment_links import BANK, bank_answers
from models import LinkToken, Person

PAYROLL = ("ni_number", "payroll_reference")
NEVER_SHOWN_AGAIN = ("sort_code", "account_number", "ni_number")  # after an error the person types them again


def _current(p: Person) -> dict:
    v = {f: getattr(p, f) or "" for f in rf.EQUALITY}
    v.update(preferred_format=p.preferred_format or "", access_needs=p.access_needs or "",
             availability_note=p.availability_note or "",
             language=i18n.normalise(p.language) if p.language else "",
             takes_part_as="carer" if p.carer else "service_user",
             recruitment_consent="yes" if p.recruitment_consent else "no")
    return v


def _questions() -> list[dict]:
    return [{"name": f, "legend": _(label), "options": {k: _(x) for k, x in rf.options(f).items()}}
            for f, (label, _values) in rf.EQUALITY.items()]


def _languages() -> list[dict]:
    return [{"code": c, "name": i18n.native_name(c), "dir": i18n.direction(c)} for c in i18n.offered()]


def _show(session, token: LinkToken):
    p = person_for_link(session, token.reference, token.holder_email)
    if p is None:
        raise LinkInvalid(_("This link is not valid."))
    return "person_details.html", {
        "person": p, "v": _current(p), "errors": {}, "questions": _questions(), "choices": _languages(),
        "formats": {k: _(x) for k, x in rf.OWN_FORMATS.items()},
        "takes_part": {k: _(x) for k, x in rf.TAKES_PART_AS.items()},
        "payment": own_payment_details(session, p.email)}


def _invalid(form, errors: dict[str, str]) -> FormInvalid:
    v = {k: ("" if k in NEVER_SHOWN_AGAIN else val) for k, val in dict(form).items()}
    return FormInvalid({"v": v, "errors": errors,
                        "error_list": [{"text": m, "href": f"#{k}"} for k, m in errors.items()]})


def _save(token: LinkToken, signed: str, form) -> str:
    _changes, found = rf.check_details(form, languages=i18n.offered())
    errors = {k: _(m) for k, m in found.items()}
    bank = None
    if any(str(form.get(k) or "").strip() for k in BANK):  # blank: keep the bank details we hold
        bank, bank_errors = bank_answers(form)
        errors.update(bank_errors)
    payroll, payroll_errors = rf.check_payroll(form)
    errors.update({k: _(m) for k, m in payroll_errors.items()})
    if errors:
        raise _invalid(form, errors)
    try:
        saved, found = update_own_details(signed, form, languages=i18n.offered(), bank=bank, payroll=payroll)
    except BankDetailsInvalid:
        raise _invalid(form, {"account_number": _(cf.BANK_CHECK_FAILED)}) from None
    if found:
        raise _invalid(form, {k: _(m) for k, m in found.items()})
    message = _("Thank you, %(name)s. We have saved your details.", name=saved.name)
    if saved.bank_change:
        message += " " + _("These are new bank details, so our finance team will check the change before we "
                           "pay you into the new account.")
    return message


register(UPDATE_DETAILS, ActionHandler(_show, _save))
