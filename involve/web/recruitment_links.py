"""Action-link handlers for panel members: Accept:, Decline:, Comment: (job description) and
Propose: (interview questions). Registered with `involve.web.actions.register`; as with every
action link, the GET shows a page (the shared `action.html`) with the details and a button, and
only the POST from that page acts."""
from __future__ import annotations

from involve.domain.programme import already_answered
from involve.errors import LinkInvalid, WrongState
from involve.services import recruitment_replies as replies
from involve.services.recruitment import rec_context
from involve.views.recruitment import panel_member_for_link
from involve.web.actions import ActionHandler, register
from involve.web.i18n import _
from models import LinkToken


def _rows(ctx: dict) -> list[tuple[str, str]]:
    rows = [(_("Job"), f"{ctx['title']} ({ctx['staff_group']})"),
            (_("Interview day"), _("%(date)s, %(start)s to %(end)s", date=ctx["interview_date"],
                                   start=ctx["interview_start"], end=ctx["interview_end"])),
            (_("Area"), ", ".join(x for x in (ctx["borough"], ctx["service"]) if x))]
    if ctx["decision_rule"]:
        rows.append((_("How the panel's views are used"), ctx["decision_rule"]))
    return rows


def _boxes(field: str, label: str) -> list[dict]:
    return [{"type": "textarea", "name": f"{field}_{i}", "rows": 3, "required": i == 1,
             "label": label % {"n": i} + ("" if i == 1 else " " + _("(optional)"))}
            for i in range(1, replies.MAX_TEXTS + 1)]


def _show(session, token: LinkToken):
    rec, m, person = panel_member_for_link(session, token.reference, (token.data or {}).get("member_id"))
    if rec is None or m is None:
        raise LinkInvalid(_("This link is not valid."))
    if rec.status != "open":
        raise WrongState(_("Recruitment %(ref)s has finished. Thank you for your interest.",
                           ref=rec.reference))
    if token.action in ("accept", "decline") and m.status != "invited":
        raise WrongState(_(already_answered(m.status)))
    ctx = rec_context(rec)
    page = {"caption": rec.reference, "rows": _rows(ctx),
            "intro": _("Hello %(name)s,", name=person.name if person else "")}
    if token.action == "accept":
        page.update(heading=_("Join the interview panel"), button=_("Yes, I will join the panel"),
                    decision="accept", notes=[_("You will be paid an involvement fee for the day, and your "
                                                "travel and other costs. If your panel training is more than "
                                                "two years old, we will book you on a session first.")],
                    notes_heading=_("What it involves"))
    elif token.action == "decline":
        page.update(heading=_("Say no to this interview panel"), button=_("No, I cannot do this one"),
                    decision="decline", fields=[{"type": "textarea", "name": "reason", "rows": 3,
                                                 "label": _("You do not have to give a reason. If you want "
                                                            "to, write it here.")}])
    elif token.action == "comment":
        return "action_jd_comment.html", dict(
            page, heading=_("Comment on the job description"), button=_("Send my comments"),
            job_description=rec.job_description_draft or "", decision="comment",
            fields=_boxes("comment", _("Comment %(n)s")))
    else:
        page.update(heading=_("Suggest interview questions"), button=_("Send my questions"),
                    decision="propose",
                    notes=[_("Good questions are about how people treat others and what matters to them. "
                             "We keep questions in a bank so they can be used again.")],
                    notes_heading=_("Questions"), fields=_boxes("question", _("Question %(n)s")))
    return "action.html", page


def _numbered(form, field: str) -> list[str | None]:
    return [form.get(field)] + [form.get(f"{field}_{i}") for i in range(1, replies.MAX_TEXTS + 1)]


def _accept(token: LinkToken, signed: str, form) -> str:
    rec, _m = replies.accept(signed)
    return _("Thank you for joining the interview panel for %(title)s (%(ref)s). We will email you about "
             "training (if you need it), the job description and the interview questions.",
             title=rec.title, ref=rec.reference)


def _decline(token: LinkToken, signed: str, form) -> str:
    rec = replies.decline(signed, reason=form.get("reason"))
    return _("Thank you for letting us know. We will not ask you about %(ref)s again.", ref=rec.reference)


def _comment(token: LinkToken, signed: str, form) -> str:
    ids = replies.comment(signed, _numbered(form, "comment"))
    return _("Thank you. We have your comments on the job description (%(ref)s): %(n)s. HR will tell you "
             "which changes they make and why.", ref=token.reference, n=len(ids))


def _propose(token: LinkToken, signed: str, form) -> str:
    ids = replies.propose(signed, _numbered(form, "question"))
    return _("Thank you. We have your questions (%(ref)s): %(n)s. They go into our question bank so they "
             "can be used again.", ref=token.reference, n=len(ids))


register("accept", ActionHandler(_show, _accept))
register("decline", ActionHandler(_show, _decline))
register("comment", ActionHandler(_show, _comment))
register("propose", ActionHandler(_show, _propose))
