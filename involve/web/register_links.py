"""The person's own page behind the `Update your details:` link: consent to be invited, availability,
access needs, preferred format, and optional self-declared equality answers (each with "prefer not to
say"). GET shows the form filled with what we hold; the POST saves it (the link then works no more)."""
from __future__ import annotations

from involve.domain import register_fields as rf
from involve.errors import LinkInvalid
from involve.services.register import update_own_details
from involve.views.register import person_for_link
from involve.web.actions import ActionHandler, FormInvalid, register
from involve.web.i18n import _
from models import LinkToken, Person


def _current(p: Person) -> dict:
    v = {f: getattr(p, f) or "" for f in rf.EQUALITY}
    v.update(preferred_format=p.preferred_format or "", access_needs=p.access_needs or "",
             availability_note=p.availability_note or "",
             takes_part_as="carer" if p.carer else "service_user",
             recruitment_consent="yes" if p.recruitment_consent else "no")
    return v


def _questions() -> list[dict]:
    return [{"name": f, "legend": _(label), "options": {k: _(x) for k, x in rf.options(f).items()}}
            for f, (label, _values) in rf.EQUALITY.items()]


def _show(session, token: LinkToken):
    p = person_for_link(session, token.reference, token.holder_email)
    if p is None:
        raise LinkInvalid(_("This link is not valid."))
    return "person_details.html", {
        "person": p, "v": _current(p), "errors": {}, "questions": _questions(),
        "formats": {k: _(x) for k, x in rf.FORMATS.items()},
        "takes_part": {k: _(x) for k, x in rf.TAKES_PART_AS.items()}}


def _save(token: LinkToken, signed: str, form) -> str:
    person, errors = update_own_details(signed, form)
    if errors:
        messages = {k: _(m) for k, m in errors.items()}
        raise FormInvalid({"v": dict(form), "errors": messages,
                           "error_list": [{"text": m, "href": f"#{k}"} for k, m in messages.items()]})
    return _("Thank you, %(name)s. We have saved your details.", name=person.name)


register("update_details", ActionHandler(_show, _save))
