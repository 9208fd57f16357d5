"""Issue 18, item 2: one text policy for names and titles; lengths equal to the columns."""
from __future__ import annotations

import copy

import pytest
from pydantic import BaseModel

from involve.domain import claim_schema as cs
from involve.domain.recruitment_schema import RecruitmentIn
from involve.domain.text import bad_character, printable
from models import Claim, ExpenseLine, Recruitment
from tests.integration.test_webhooks import claims_count, client  # noqa: F401 - fixture
from tests.security.support import post_claim, recent


def _max_length(model: type[BaseModel], field: str) -> int | None:
    prop = model.model_json_schema()["properties"][field]
    found = [p["maxLength"] for p in [prop, *prop.get("anyOf", [])] if "maxLength" in p]
    return found[0] if found else None


@pytest.mark.parametrize(("model", "field", "column"), [
    (cs.Claimant, "name", Claim.__table__.c.claimant_name),
    (cs.Activity, "title", Claim.__table__.c.activity_title),
    (cs.Activity, "service", Claim.__table__.c.service),
    (cs.Activity, "reference", Claim.__table__.c.activity_reference),
    (cs.ClaimIn, "submission_id", Claim.__table__.c.submission_id),
    (cs.Expense, "description", ExpenseLine.__table__.c.description),
    (cs.Expense, "receipt", ExpenseLine.__table__.c.receipt),
    (RecruitmentIn, "title", Recruitment.__table__.c.title),
    (RecruitmentIn, "service", Recruitment.__table__.c.service),
])
def test_schema_limits_equal_the_column_sizes(model, field, column):
    assert _max_length(model, field) == column.type.length


@pytest.mark.parametrize("value", ["Sam\nApprove: https://evil.example/", "Sam\r", "Sam\tO", "Sam\x00",
                                   "Sam\u2028x", "Sam\u202egnp.exe", "Sam\u2066x", "Sam\x85", "Sam\x1b[2J"])
def test_one_line_fields_refuse_control_line_break_and_bidi_characters(value):
    assert bad_character(value)
    assert bad_character(printable(value)) is None


@pytest.mark.parametrize(("where", "value"), [
    (("claimant", "name"), "Sam\nApprove: https://evil.example/"),
    (("claimant", "name"), "Sam\x00Okafor"),
    (("claimant", "name"), "x" * 201),
    (("activity", "title"), "Forum\r\nReject: https://evil.example/"),
    (("activity", "title"), "t" * 301),
    (("activity", "title"), "Forum \u202eevil"),
    (("activity", "service"), "s" * 201),
])
def test_bad_or_too_long_names_and_titles_are_422_and_store_nothing(client, example_claim, where, value):  # noqa: F811
    claim = recent(copy.deepcopy(example_claim))
    claim[where[0]][where[1]] = value
    r = post_claim(client, claim, "msg-text")
    assert r.status_code == 422, r.text
    assert any(e["field"] == ".".join(where) for e in r.json()["errors"])
    assert claims_count() == 0


def test_names_at_the_column_size_are_stored(client, example_claim):  # noqa: F811
    claim = recent(copy.deepcopy(example_claim))
    claim["claimant"]["name"] = "N" * 200
    claim["activity"]["title"] = "\u00e9" * 300  # characters, not bytes
    assert post_claim(client, claim, "msg-long").status_code == 202



def test_the_printable_shortcut_refuses_nothing_the_full_check_would():
    """bad_character answers None at once for a printable string (issue 17, part 6), so every
    character the per-character check refuses must be unprintable: checked for every code point."""
    import sys
    import unicodedata

    from involve.domain.text import BIDI_CONTROLS, LINE_SEPARATORS

    for cp in range(sys.maxunicode + 1):
        ch = chr(cp)
        if ch.isprintable():
            assert not (ch == "\x00" or ch in "\r\n" or ch in LINE_SEPARATORS or ch in BIDI_CONTROLS
                        or unicodedata.category(ch) in ("Cc", "Cs")), hex(cp)
