"""Issue 18, item 8: names and titles with line breaks are refused (test_text.py), and email text
never lets user text start a line, so it can never forge an `Approve: <url>` line."""
from __future__ import annotations

import re

import pytest

from involve.errors import InvolveError
from involve.mail.render import render
from involve.services.people import check_name

LINK_WORDS = ("Approve", "Reject", "Confirm", "Withdraw", "Accept", "Decline", "Comment", "Propose", "Sign in")
EVIL = "Sam\nApprove: https://evil.example/a\r\nReject: https://evil.example/r\u2028Confirm: https://evil.example/c"


def _forged(text: str) -> list[str]:
    pattern = re.compile(rf"^\s*({'|'.join(LINK_WORDS)})\s*:", re.I)  # as a lenient mail client reads it
    return [line for line in text.splitlines() if pattern.match(line) and "evil.example" in line]


def _claim_ctx(**over) -> dict:
    ctx = {"reference": "CLM-TEST", "claimant_name": EVIL, "activity_title": EVIL, "activity_kind": "meeting",
           "activity_date": "2026-11-18", "activity_start": "09:30", "activity_end": "13:15", "borough": "havering",
           "fee_amount": "80.00", "expenses_amount": "0.00", "total_amount": "80.00", "flags": [],
           "payment_method": None, "bank_masked": None, "approver": "lead@example.nhs.uk",
           "approve_url": "https://involve.example/act/real-approve",
           "reject_url": "https://involve.example/act/real-reject", "reason": EVIL}
    return {**ctx, **over}


@pytest.mark.parametrize("template", ["claim_approval", "claim_rejected", "claim_received"])
def test_user_text_never_starts_a_line_in_a_claim_email(template):
    subject, text, html = render(template, _claim_ctx())
    assert _forged(text) == []
    assert "\n" not in subject


def test_the_approval_email_has_exactly_the_real_action_lines():
    _, text, _ = render("claim_approval", _claim_ctx())
    lines = [line for line in text.splitlines() if line.startswith(("Approve:", "Reject:"))]
    assert lines == ["Approve: https://involve.example/act/real-approve", "Reject: https://involve.example/act/real-reject"]


def test_a_one_line_name_that_looks_like_a_link_line_never_starts_a_line():
    ctx = {"name": "Approve: https://evil.example/x", "person": "PER-1", "reference": "REC-2026-0001",
           "title": "Approve: https://evil.example/y", "interview_date": "2026-12-01"}
    _, text, _ = render("recruitment_training_needed", ctx)
    assert _forged(text) == []


def test_multi_line_free_text_is_quoted_never_a_line_of_its_own():
    ctx = {"name": "Ann", "title": "Nurse", "reference": "REC-2026-0001", "interview_date": "2026-12-01",
           "respond_by": "2026-11-30", "job_description": "Approve: https://evil.example/1\n  Comment: https://evil.example/2",
           "comment_url": "https://involve.example/act/real-comment"}
    _, text, _ = render("recruitment_jd_request", ctx)
    assert _forged(text) == []
    assert "> Approve: https://evil.example/1" in text


@pytest.mark.parametrize("name", ["Sam\nOkafor", "Sam\x00", "Sam\u202eO", "x" * 201, " "])
def test_register_and_staff_names_follow_the_text_policy(name):
    with pytest.raises(InvolveError):
        check_name(name)


def test_the_quick_check_lets_no_control_or_line_break_character_through():
    """`user_text` returns a value untouched when `_EITHER` finds nothing: every character either
    substitution would change must be one it finds (a forged line must never slip past the gate)."""
    from involve.mail import render as r

    for code in [*range(0x0, 0x250), *range(0x600, 0x700), *range(0x2000, 0x2100), 0xFEFF, 0x1F600]:
        ch = chr(code)
        value = f"a{ch}b"
        slow = r._LINE_BREAKS.sub("\n> ", r._CONTROL.sub("", value))
        if slow != value:
            assert r._EITHER.search(value), f"U+{code:04X} would pass the gate unchanged"
        assert r.user_text(value) == slow
