"""Every email to a person in their language and format (issue 16): each email in Urdu and Romanian,
Easy Read and large print, the pseudo-locale en-XA with no English left, Babel dates, money and
plural forms, and emails to staff staying English."""
from __future__ import annotations

from pathlib import Path

import pytest

from involve import i18n
from involve.mail.render import build_message, render
from tests import pseudo_locale as px


@pytest.fixture
def pseudo():
    i18n.install(px.CODE, px.translations())
    yield px.CODE
    i18n.uninstall(px.CODE)


PERSON_EMAILS = {
    "claim_received": {}, "claim_paid": {"paid_amount": "31.80", "expenses_only": True},
    "claim_approved_claimant": {"payable_amount": "31.80", "expenses_only": False},
    "claim_rejected": {"reason": "Ŕéåšöñ"},
    "recruitment_invitation": {"panel_size": 2, "respond_by": "2026-11-10"},
    "recruitment_reminder": {}, "recruitment_thanks": {"claim_reference": "CLM-2026-000002", "score_url": "http://x/act/s"},
    "recruitment_training_booked": {"training_title": "Ţŕåîñîñĝ", "training_date": "2026-11-12",
                                    "training_start": "10:00", "training_end": "12:00"},
    "recruitment_jd_request": {"job_description": "Ðŕåƒţ", "comment_url": "http://x/act/c"},
    "recruitment_questions_request": {"propose_url": "http://x/act/p"},
    "training_thanks": {"session": "TRN-3", "training_title": "Ţŕåîñîñĝ", "training_date": "2026-11-12"},
    "activity_invitation": {"kind_label": "ward visit", "role": "panel member", "day": "Wednesday 18 November 2026",
                            "start": "10:00", "end": "12:00", "borough": "Havering", "fee": "£25.00",
                            "mileage": "45p"},
    "activity_thanks": {"day": "Wednesday 18 November 2026", "claim_reference": "CLM-2026-000002"},
    "payment_failed": {"reason": "Ŕéƒéŕ ţö ðŕåŵéŕ", "details_url": "http://x/act/pd", "paid_amount": "31.80",
                       "expires_on": "2026-12-14"},
    "payment_details": {"why": "invalid", "details_url": "http://x/act/pd", "again": True, "expires_on": "2026-12-14"},
    "bank_details_change": {"old_masked": "****12", "new_masked": "****34", "confirm_url": "http://x/act/bc"},
    "claim_question": {"question": "Ŵĥîçĥ ţåẋî?", "reply_url": "http://x/act/q", "reply_days": 14, "lines": []},
    "your_claims": {"url": "http://x/claims/yours/t", "hours": 24},
    "claim_saved": {"url": "http://x/claim/continue/t", "days": 30},
    "recruitment_jd_decision": {"final_job_description": "Ƒîñåļ ţéẋţ", "comments": [
        {"text": "Åðð ƒļéẋîƀļé ĥöûŕš", "decision": "accepted", "reason": "Ĝööð", "shaped_final": True},
        {"text": "Ŕéɱöṽé îţ", "decision": "declined", "reason": "Ñééðéð", "shaped_final": False}]},
    "register_details": {"reference": "PER-7", "details_url": "http://x/act/ud", "days": 14},
    "forum_report": {"forum": "Ƒöŕûɱ", "month": "2026-11", "location": "/srv/involve/var/reports/forum/2026-11",
                     "lines": [["Payments made", "3", "count"], ["Money paid", "118.00", "money"]],
                     "borough_lines": [["Money paid", "20.50", "money"]]},
}
EMAIL_BASE = {"reference": "CLM-2026-000001", "claimant_name": "Ŝåɱ", "name": "Ŝåɱ", "activity_title": "Ƒöŕûɱ",
              "activity_kind": "meeting", "activity_date": "2026-11-18", "activity_start": "10:00",
              "activity_end": "12:00", "borough": "Ĥåṽéŕîñĝ", "fee_amount": "25.00", "expenses_amount": "6.80",
              "total_amount": "31.80", "flags": [], "payment_method": "bank_transfer", "bank_masked": "****78",
              "title": "Ñûŕšé", "staff_group": "çƥñ", "service": "Ŝéŕṽîçé", "decision_rule": "Ŕûļé",
              "interview_date": "Wednesday 18 November 2026", "interview_start": "10:00", "interview_end": "16:00",
              "confirm_url": "http://x/act/ok", "withdraw_url": "http://x/act/no", "accept_url": "http://x/act/a",
              "decline_url": "http://x/act/d", "details_url": "http://x/act/ud",
              "your_details_url": "http://x/your-details"}


EMAILS_DIR = Path(__file__).resolve().parents[2] / "templates" / "email"
VARIANTS = [(t, f) for t in sorted(PERSON_EMAILS) for f in ("standard", "easy_read")
            if f == "standard" or (EMAILS_DIR / f"{t}.{f}.txt.j2").exists()]


@pytest.mark.parametrize(("template", "reading_format"), VARIANTS)
def test_pseudo_locale_every_email_to_a_person_has_no_english_left(template, reading_format, pseudo):
    ctx = dict(EMAIL_BASE, **PERSON_EMAILS[template], language=pseudo, format=reading_format)
    subject, text, html = render(template, ctx)
    values = tuple(str(v) for v in ctx.values() if isinstance(v, str)) + ("CLM-2026-000002", "TRN-3")
    left = {part: px.english_left(chunks, values) for part, chunks in
            (("subject", [subject]), ("text", [text]), ("html", px.visible_text(html)))}
    assert not any(left.values()), left


def test_easy_read_and_large_print_variants():
    ctx = dict(EMAIL_BASE, **PERSON_EMAILS["claim_received"])
    _s, standard, _h = render("claim_received", ctx)
    _s, easy, easy_html = render("claim_received", dict(ctx, format="easy_read"))
    assert "We got your claim." in easy and "We got your claim." not in standard
    _s, _t, large = render("claim_received", dict(ctx, format="large_print"))
    assert "font-size: 24px" in large and "font-size: 19px" in easy_html
    _s, urdu, _h = render("claim_received", dict(ctx, format="easy_read", language="ur"))
    assert "ہمیں آپ کا دعویٰ مل گیا ہے۔" in urdu


@pytest.mark.parametrize("language", ["ur", "ro"])
@pytest.mark.parametrize(("template", "reading_format"), VARIANTS)
def test_every_email_to_a_person_renders_in_each_language(template, reading_format, language):
    ctx = dict(EMAIL_BASE, **PERSON_EMAILS[template], language=language, format=reading_format)
    subject, text, html = render(template, ctx)
    english, _t, _h = render(template, dict(ctx, language="en"))
    assert subject != english and any(ref in subject + text for ref in ("CLM-", "REC-", "PER-"))
    assert f'lang="{language}"' in html


def test_default_language_is_for_people_and_staff_emails_stay_english(monkeypatch):
    from involve.mail.outbox import email_row
    from involve.settings import reset_settings

    monkeypatch.setenv("INVOLVE_LANGUAGE", "ro")
    reset_settings()
    try:
        ctx = dict(EMAIL_BASE, **PERSON_EMAILS["claim_received"])
        person = email_row(template="claim_received", to="a@example.org", reference="CLM-1", context=ctx,
                           language=None)["context"]
        staff = email_row(template="claim_received", to="b@example.nhs.uk", reference="CLM-1", context=ctx)["context"]
        assert "Am primit cererea" in render("claim_received", person)[1]
        assert "We have received your claim" in render("claim_received", staff)[1]
        msg = build_message(template="claim_received", context=staff, to="b@example.nhs.uk", sender="x@example.org",
                            outbox_id=2)
        assert msg["Content-Language"] == "en"
    finally:
        monkeypatch.delenv("INVOLVE_LANGUAGE")
        reset_settings()


def test_romanian_money_and_dates_and_plurals():
    with i18n.use("ro"):
        assert i18n.format_money("1234.5") == "1.234,50\xa0£"
        assert i18n.format_day("2026-11-18") == "18 noiembrie 2026"
    ctx = {"reference": "REC-2026-0001", "name": "Ana", "title": "Asistentă", "staff_group": "cpn",
           "interview_date": "2026-11-18", "interview_start": "10:00", "interview_end": "16:00",
           "borough": "havering", "service": None, "decision_rule": None, "respond_by": "2026-11-10",
           "accept_url": "http://x/act/a", "decline_url": "http://x/act/d", "language": "ro"}
    for n, form in ((1, "1 loc "), (2, "2 locuri "), (20, "20 de locuri ")):
        _s, text, _h = render("recruitment_invitation", dict(ctx, panel_size=n))
        assert form in text, text
    _s, text, _h = render("recruitment_invitation", dict(ctx, panel_size=2))
    assert "Accept: http://x/act/a" in text and "Decline: http://x/act/d" in text  # link words as agreed
    assert "18 noiembrie 2026" in text


@pytest.mark.parametrize("language", ["en", "ur", "ro"])
def test_large_print_emails_follow_clear_print(language):
    """Every email to a person, in large print: each piece of text at 18 pt or more, sans serif, to
    the start of the line, 1.5 line spacing, no italics or capitals, bold headings, one column, no
    text on colour (styles cascaded as a mail program does: tests/clear_print.py)."""
    from tests.clear_print import email_problems

    problems = {}
    for template in sorted(PERSON_EMAILS):
        ctx = dict(EMAIL_BASE, **PERSON_EMAILS[template], language=language, format="large_print")
        _s, _t, html = render(template, ctx)
        assert f'dir="{i18n.direction(language)}"' in html
        if found := email_problems(html, i18n.direction(language)):
            problems[template] = found
    assert not problems, problems


def test_clear_print_check_can_fail():
    from tests.clear_print import email_problems

    ctx = dict(EMAIL_BASE, **PERSON_EMAILS["claim_received"], language="en")
    standard = " ".join(email_problems(render("claim_received", ctx)[2]))
    assert "19.0px is under 24px" in standard and "coloured panel" in standard
    body = '<body style="font-family: Arial; font-size: 24px; line-height: 1.5; text-align: left;">{}</body>'
    assert email_problems(body.format("<p>Fine text</p>")) == []
    breaking = {"<p><em>Slanted</em></p>": "italic", '<p style="text-align: justify;">Wide</p>': "aligned",
                "<p>PLEASE READ THIS NOW</p>": "capitals", '<p style="font-family: Georgia;">Serif</p>': "font",
                '<p style="line-height: 1.2;">Tight</p>': "line spacing", '<img src="x.png" alt="x">': "picture",
                '<div style="float: left;">Side</div>': "column", '<h2 style="font-weight: normal;">H</h2>': "heading"}
    for bad, why in breaking.items():
        assert any(why in p for p in email_problems(body.format(bad))), bad
