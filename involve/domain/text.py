"""One text policy for names, titles and other one-line fields people type.

A one-line field may not hold control characters (line breaks, tabs, NUL, ...), Unicode line or
paragraph separators, or bidirectional override/isolate characters: those let a name forge a
`Approve: <url>` line in an email, hide text in a terminal or a spreadsheet, or make PostgreSQL
refuse the row (NUL). Lengths are those of the database columns (`tests/security` checks that).
`printable` is the output side: it removes such characters from text written to a terminal or a CSV.
"""
from __future__ import annotations

import re
import unicodedata

# U+061C ALM, U+200E/F LRM/RLM, U+202A-E embeddings/overrides, U+2066-9 isolates
BIDI_CONTROLS = frozenset("\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")
LINE_SEPARATORS = frozenset("\u2028\u2029\u0085")
_UNPRINTABLE = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029" + "".join(sorted(BIDI_CONTROLS)) + "]")

# maximum lengths = the column sizes (models/claims.py, models/people.py, models/recruitment.py)
NAME_MAX = 200
TITLE_MAX = 300
SERVICE_MAX = 200
ACTIVITY_REFERENCE_MAX = 60
DESCRIPTION_MAX = 500
RECEIPT_MAX = 300
SUBMISSION_ID_MAX = 200
DELIVERY_ID_MAX = 200
ACCOUNT_NAME_MAX = 100  # stored encrypted; the bank's own limit is lower still


class BadText(ValueError):
    """A one-line field holding a character it may not (one plain sentence)."""


def bad_character(value: str) -> str | None:
    """A plain description of the first character a one-line field may not hold, or None."""
    if value.isprintable():  # every character refused below is unprintable: one C-level pass (hot at intake)
        return None
    for ch in value:
        if ch == "\x00":
            return "may not contain a NUL character"
        if ch in "\r\n" or ch in LINE_SEPARATORS:
            return "must be on one line (no line breaks)"
        if ch in BIDI_CONTROLS:
            return "may not contain text-direction control characters"
        if unicodedata.category(ch) == "Cc":
            return "may not contain control characters such as tabs"
        if unicodedata.category(ch) == "Cs":
            return "is not valid text"
    return None


def one_line(value: object) -> object:
    """Pydantic before-validator: refuse a string with a character a one-line field may not hold
    (non-strings pass on, for the type check to name)."""
    if isinstance(value, str) and (problem := bad_character(value)):
        raise BadText(problem)
    return value


_MULTILINE_BAD = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ud800-\udfff"
                            + "".join(sorted(BIDI_CONTROLS)) + "]")


def multiline(value: object) -> object:
    """Pydantic before-validator for free text that may span lines (a job description): line breaks
    and tabs are fine; NUL, other control characters, bidi overrides and lone surrogates are refused."""
    if isinstance(value, str) and _MULTILINE_BAD.search(value):
        raise BadText("may not contain NUL, control or text-direction characters")
    return value


def clean_multiline(value: object) -> object:
    """Free text from a web form with NUL, other control and bidi characters removed (line breaks and
    tabs kept): PostgreSQL cannot store NUL, and such characters only ever hide or forge text."""
    return _MULTILINE_BAD.sub("", value) if isinstance(value, str) else value


def printable(value: object) -> str:
    """`value` as text with control, line-separator and bidi characters removed (terminal/CSV output)."""
    return _UNPRINTABLE.sub("", "" if value is None else str(value))
