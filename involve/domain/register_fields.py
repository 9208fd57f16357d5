"""The register's self-declared and preference fields: the answers offered (each equality question
with "prefer not to say") and checking a set of answers. Pure; the labels are shown through gettext.

Values are stored as given here; involve/domain/diversity.py reads age band, ethnic group and gender
("prefer_not_to_say" counts towards no category).
"""
from __future__ import annotations

import re
from collections.abc import Collection

from involve.domain.bank import ni_number_valid, normalise_ni_number
from involve.domain.languages import N_, READING_FORMATS, Message

PREFER_NOT = "prefer_not_to_say"

EQUALITY = {
    "age_band": (N_("Age"), ("16-24", "25-34", "35-44", "45-54", "55-64", "65-74", "75+")),
    "ethnic_group": (N_("Ethnic group"), ("asian", "black", "mixed", "white", "other")),
    "gender": (N_("Gender"), ("female", "male", "non_binary", "other")),
    "disability": (N_("Disability: do you consider yourself to have a disability?"), ("yes", "no")),
    "religion": (N_("Religion or belief"), ("none", "buddhist", "christian", "hindu", "jewish", "muslim",
                                            "sikh", "other")),
    "sexual_orientation": (N_("Sexual orientation"), ("heterosexual", "gay_or_lesbian", "bisexual", "other")),
}
LABELS = {
    "16-24": N_("16 to 24"), "25-34": N_("25 to 34"), "35-44": N_("35 to 44"), "45-54": N_("45 to 54"),
    "55-64": N_("55 to 64"), "65-74": N_("65 to 74"), "75+": N_("75 or over"),
    "asian": N_("Asian or Asian British"), "black": N_("Black, Black British, Caribbean or African"),
    "mixed": N_("Mixed or multiple ethnic groups"), "white": N_("White"), "other": N_("Another answer"),
    "female": N_("Woman"), "male": N_("Man"), "non_binary": N_("Non-binary"), "yes": N_("Yes"), "no": N_("No"),
    "none": N_("No religion"), "buddhist": N_("Buddhist"), "christian": N_("Christian"), "hindu": N_("Hindu"),
    "jewish": N_("Jewish"), "muslim": N_("Muslim"), "sikh": N_("Sikh"),
    "heterosexual": N_("Heterosexual or straight"), "gay_or_lesbian": N_("Gay or lesbian"),
    "bisexual": N_("Bisexual"), PREFER_NOT: N_("Prefer not to say"),
}
FORMATS = {"standard": N_("Standard print or email"), "large_print": N_("Large print"), "easy_read": N_("Easy read"),
           "audio": N_("Audio"), "braille": N_("Braille"), "bsl": N_("British Sign Language")}
OWN_FORMATS = {k: FORMATS[k] for k in READING_FORMATS}  # offered on the person's own page (emails have these)
TAKES_PART_AS = {"service_user": N_("Someone who uses or has used mental health services"), "carer": N_("A carer"),
                 PREFER_NOT: N_("Prefer not to say")}
TEXT_LIMIT = 1000


def options(field: str) -> dict[str, str]:
    """value -> English label for one equality question, "prefer not to say" last."""
    return {v: LABELS.get(v, v) for v in (*EQUALITY[field][1], PREFER_NOT)}


def check_details(form: dict, *, languages: Collection[str] | None = None) -> tuple[dict, dict[str, str]]:
    """(the changes to store, errors by field) from a details form. Blank answers stay unanswered.
    `languages`: the languages the form offers (the person's own page); None: no language question."""
    changes, errors = {}, {}
    language = (form.get("language") or "").strip()
    if languages is not None and language:
        if language in languages:
            changes["language"] = language
        else:
            errors["language"] = N_("Choose one of the languages")
    for field, (_label, values) in EQUALITY.items():
        value = (form.get(field) or "").strip()
        if value and value not in (*values, PREFER_NOT):
            errors[field] = N_("Choose one of the answers")
        elif value:
            changes[field] = value
    role = (form.get("takes_part_as") or "").strip()
    if role and role not in TAKES_PART_AS:
        errors["takes_part_as"] = N_("Choose one of the answers")
    elif role in ("carer", "service_user"):
        changes["carer"] = role == "carer"
    fmt = (form.get("preferred_format") or "").strip()
    if fmt and fmt not in FORMATS:
        errors["preferred_format"] = N_("Choose one of the formats")
    elif fmt:
        changes["preferred_format"] = fmt
    for field in ("access_needs", "availability_note"):
        text = (form.get(field) or "").strip()
        if len(text) > TEXT_LIMIT:
            errors[field] = Message(N_("Use %(limit)s characters or fewer"), limit=TEXT_LIMIT)
        else:
            changes[field] = text or None
    if "recruitment_consent" in form:
        changes["recruitment_consent"] = form.get("recruitment_consent") == "yes"
    return changes, errors


PAYROLL_REFERENCE = re.compile(r"^[A-Za-z0-9/\-]{1,40}$")  # as the canonical claim's payroll_reference


def check_payroll(form: dict) -> tuple[dict, dict[str, str]]:
    """({"ni_number", "payroll_reference"} as given, errors by field) from the own page's payroll
    questions; both optional, each stored only when given."""
    ids, errors = {}, {}
    ni = normalise_ni_number(form.get("ni_number"))
    if ni and not ni_number_valid(ni):
        errors["ni_number"] = N_("Enter a National Insurance number in the right format, like QQ 12 34 56 C")
    elif ni:
        ids["ni_number"] = ni
    ref = (form.get("payroll_reference") or "").strip()
    if ref and not PAYROLL_REFERENCE.match(ref):
        errors["payroll_reference"] = N_("Enter your payroll number using letters, numbers, / or -, "
                                         "40 characters at most")
    elif ref:
        ids["payroll_reference"] = ref
    return ids, errors
