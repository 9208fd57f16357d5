"""The person's own links about a claim: `Add receipts:` (one file input per cost needing a receipt;
works until the claim is decided) and `Reply:` (answer a question; optionally change a cost and add a
receipt). GET shows the page; only the POST acts (involve.web.actions)."""
from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation

from involve.errors import InvolveError, LinkInvalid
from involve.receipt_files import ACCEPT
from involve.services import claim_questions, receipts
from involve.services.processing import line_label
from involve.views.claims import claim_by_reference
from involve.web.actions import ActionHandler, FormInvalid, register
from involve.web.i18n import _, said
from involve.web.uploads import uploads
from models import LinkToken


def upload_url(token: LinkToken) -> str:
    """Where the page's form posts: the same link under /claims/upload/ (room in the body for files)."""
    from involve import links

    return "/claims/upload/" + links.signed_token(token)


def receipt_field(line_id: int) -> str:
    return f"receipt-{line_id}"


def _lines(claim, *, all_costs: bool = False) -> list[dict]:
    """The costs to show a file input for: every cost (Reply), else those still needing a receipt."""
    needing = receipts.lines_needing_receipts(claim)
    missing = {x.id for x in needing}
    chosen = claim.expenses if all_costs else needing
    return [{"id": x.id, "label": line_label(x), "field": receipt_field(x.id), "missing": x.id in missing,
             "kind": x.kind, "amount": "" if x.claimed_amount is None else f"{x.claimed_amount:.2f}",
             "has_receipt": bool(x.receipt)} for x in chosen]


def _show_receipts(session, token: LinkToken):
    claim = claim_by_reference(session, token.reference)
    if claim.status not in receipts.OPEN_STATUSES:
        raise LinkInvalid(_("Claim %(ref)s has been decided, so receipts can no longer be added to it.",
                            ref=claim.reference))
    return "claimant_receipts.html", {"claim": claim, "lines": _lines(claim), "accept": ACCEPT,
                                      "action_url": upload_url(token), "errors": {}, "error_list": []}


def files_by_line(form, lines: list[dict]) -> dict[int, list[receipts.Upload]]:
    return {x["id"]: uploads(form, x["field"]) for x in lines}


def _refused(exc: InvolveError, field: str) -> FormInvalid:
    return FormInvalid({"errors": {field: said(exc)}, "error_list": [{"text": said(exc), "href": f"#{field}"}]})


def _add_receipts(token: LinkToken, signed: str, form) -> str:
    from involve.db import reader

    with reader() as s:
        lines = _lines(claim_by_reference(s, token.reference))
    by_line = files_by_line(form, lines)
    try:
        n = receipts.add_receipts(token.reference, by_line, claimant=token.holder_email, signed_link=signed)
    except (receipts.FileRefused, InvolveError) as exc:
        field = next((x["field"] for x in lines if by_line.get(x["id"])), lines[0]["field"] if lines else "receipts")
        raise _refused(exc, field) from None
    return _("Thank you. We have %(n)s new file(s) for claim %(ref)s. The person approving your claim can now "
             "see them.", n=n, ref=token.reference)


def _show_reply(session, token: LinkToken):
    claim = claim_by_reference(session, token.reference)
    if claim.status != "needs_information":
        raise LinkInvalid(_("Claim %(ref)s is not waiting for an answer now.", ref=claim.reference))
    question = claim_questions.open_question(session, claim)
    return "claimant_reply.html", {"claim": claim, "question": question.question if question else "",
                                   "lines": _lines(claim, all_costs=True), "accept": ACCEPT, "v": {},
                                   "action_url": upload_url(token), "errors": {}, "error_list": []}


def parse_reply(form, lines: list[dict]) -> tuple[dict, dict[int, Decimal], dict[str, str]]:
    """(the answers to show again, changed amounts by line id, errors by field) of a reply form."""
    v = {"answer": str(form.get("answer") or "").strip()[:2000]}
    errors: dict[str, str] = {}
    if not v["answer"]:
        errors["answer"] = _("Enter your answer to the question")
    amounts: dict[int, Decimal] = {}
    for x in lines:
        if x["kind"] == "mileage":
            continue
        raw = str(form.get(f"amount-{x['id']}") or "").strip()
        v[f"amount-{x['id']}"] = raw
        clean = re.sub(r"[£,\s]", "", raw)
        if not clean:
            continue
        try:
            value = Decimal(clean)
            if value <= 0 or value > Decimal("500") or value != value.quantize(Decimal("0.01")):
                raise InvalidOperation
        except InvalidOperation:
            errors[f"amount-{x['id']}"] = _("%(cost)s: enter an amount from £0.01 to £500, like 6.80",
                                            cost=x["label"].split(",")[0])
            continue
        amounts[x["id"]] = value
    return v, amounts, errors


def reply_lines(reference: str) -> list[dict]:
    from involve.db import reader

    with reader() as s:
        return _lines(claim_by_reference(s, reference), all_costs=True)


def _reply(token: LinkToken, signed: str, form) -> str:
    lines = reply_lines(token.reference)
    v, amounts, errors = parse_reply(form, lines)
    if errors:
        raise FormInvalid({"v": v, "errors": errors, "error_list": [
            {"text": m, "href": f"#{f}"} for f, m in errors.items()]})
    by_line = files_by_line(form, lines)
    try:
        claim = claim_questions.reply(signed, answer=v["answer"], amounts=amounts, uploads=by_line)
    except LinkInvalid:
        raise
    except (receipts.FileRefused, InvolveError) as exc:
        field = next((x["field"] for x in lines if by_line.get(x["id"])), "answer")
        ctx = _refused(exc, field).context
        raise FormInvalid(dict(ctx, v=v)) from None
    return _("Thank you. We have your answer about claim %(ref)s and it has gone back to the person approving "
             "it. We will email you when it is decided.", ref=claim.reference)


register("add_receipts", ActionHandler(_show_receipts, _add_receipts))
register("reply", ActionHandler(_show_reply, _reply))
