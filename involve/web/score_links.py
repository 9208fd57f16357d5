"""The panel member's `Score:` link (in the thanks email after the interview day): a page with a row per
score (candidate, question used, 1 to 5, comment); the POST records them all at once and the link
works no more."""
from __future__ import annotations

from involve.errors import InvolveError, LinkInvalid
from involve.services.recruitment_hr import record_own_scores
from involve.views.recruitment import panel_member_for_link, used_questions
from involve.web.actions import ActionHandler, FormInvalid, register
from involve.web.i18n import _
from models import LinkToken

ROWS = 6


def _show(session, token: LinkToken):
    rec, m, person = panel_member_for_link(session, token.reference, (token.data or {}).get("member_id"))
    if rec is None:
        raise LinkInvalid(_("This link is not valid."))
    return "score_link.html", {"rec": rec, "person": person, "questions": used_questions(session, rec.id),
                               "rows": range(1, ROWS + 1), "v": {}, "errors": {}}


def _rows(form) -> list[tuple[str, int, int, str | None]]:
    rows = []
    for i in range(1, ROWS + 1):
        candidate, question, score = (form.get(f"{k}_{i}", "").strip() for k in ("candidate", "question", "score"))
        if not (candidate or score):
            continue
        if not (question.isdigit() and score.isdigit()):
            raise InvolveError(_("Row %(n)s: choose a question and a score from 1 to 5", n=i))
        rows.append((candidate, int(question), int(score), form.get(f"comment_{i}")))
    return rows


def _save(token: LinkToken, signed: str, form) -> str:
    try:
        n = record_own_scores(signed, _rows(form))
    except LinkInvalid:
        raise
    except InvolveError as exc:
        raise FormInvalid({"v": dict(form), "error_list": [{"text": str(exc), "href": "#candidate_1"}]}) from None
    return _("Thank you. We have your %(n)s scores for %(ref)s.", n=n, ref=token.reference)


register("score", ActionHandler(_show, _save))
