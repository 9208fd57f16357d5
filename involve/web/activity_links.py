"""Action-link handlers for an activity invitation: Accept: and Decline:. As with every action link,
the GET shows the written offer and a button (the shared `action.html`); only the POST acts."""
from __future__ import annotations

from involve.domain.programme import already_answered
from involve.errors import LinkInvalid, NotFound, WrongState
from involve.i18n import format_day, format_money
from involve.services import activities
from involve.views.programme import invitation
from involve.web.actions import ActionHandler, register
from involve.web.i18n import _


def _show(session, token):
    try:
        o = invitation(session, token)
    except NotFound:
        raise LinkInvalid(_("This link is not valid.")) from None
    if o["status"] != "invited":
        raise WrongState(_(already_answered(o["status"])))
    rows = [(_("What"), o["title"]), (_("Your role"), _(o["role"])),
            (_("When"), _("%(date)s, %(start)s to %(end)s", date=format_day(o["day"]), start=o["start"],
                          end=o["end"])),
            (_("Where"), ", ".join(x for x in (_(o["borough"]) if o["borough"] else "", o["service"]) if x)),
            (_("Involvement fee"), format_money(o["fee"]))]
    page = {"caption": o["reference"], "rows": rows, "intro": _("Hello %(name)s,", name=o["name"])}
    if token.action == activities.ACCEPT:
        page.update(heading=_("Take part in this activity"), button=_("Yes, I will take part"), decision="accept",
                    notes_heading=_("Our offer"),
                    notes=[_("We pay the involvement fee shown (you can say no to it) and your travel, carer, "
                             "childcare and other costs."),
                           _("Tell us about any access needs (an interpreter, a hearing loop, step-free access, "
                             "large print, a support worker). We arrange and pay for it.")])
    else:
        page.update(heading=_("Say no to this activity"), button=_("No, I cannot do this one"), decision="decline")
    return "action.html", page


def _accept(token, signed: str, form) -> str:
    a = activities.respond(signed, "accept")
    return _("Thank you. We look forward to seeing you at %(title)s (%(ref)s).", title=a.title, ref=a.reference)


def _decline(token, signed: str, form) -> str:
    a = activities.respond(signed, "decline")
    return _("Thank you for letting us know. We will not expect you at %(ref)s.", ref=a.reference)


register(activities.ACCEPT, ActionHandler(_show, _accept))
register(activities.DECLINE, ActionHandler(_show, _decline))
