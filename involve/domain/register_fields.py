"""The register's self-declared and preference fields: the answers offered (each equality question
with "prefer not to say") and checking a set of answers. Pure; the labels are shown through gettext.

Values are stored as given here; involve/domain/diversity.py reads age band, ethnic group and gender
("prefer_not_to_say" counts towards no category).
"""
from __future__ import annotations

PREFER_NOT = "prefer_not_to_say"

EQUALITY = {
    "age_band": ("Age", ("16-24", "25-34", "35-44", "45-54", "55-64", "65-74", "75+")),
    "ethnic_group": ("Ethnic group", ("asian", "black", "mixed", "white", "other")),
    "gender": ("Gender", ("female", "male", "non_binary", "other")),
    "disability": ("Disability: do you consider yourself to have a disability?", ("yes", "no")),
    "religion": ("Religion or belief", ("none", "buddhist", "christian", "hindu", "jewish", "muslim", "sikh",
                                        "other")),
    "sexual_orientation": ("Sexual orientation", ("heterosexual", "gay_or_lesbian", "bisexual", "other")),
}
LABELS = {"16-24": "16 to 24", "25-34": "25 to 34", "35-44": "35 to 44", "45-54": "45 to 54", "55-64": "55 to 64",
          "65-74": "65 to 74", "75+": "75 or over", "asian": "Asian or Asian British",
          "black": "Black, Black British, Caribbean or African", "mixed": "Mixed or multiple ethnic groups",
          "white": "White", "other": "Another answer", "female": "Woman", "male": "Man",
          "non_binary": "Non-binary", "yes": "Yes", "no": "No", "none": "No religion", "buddhist": "Buddhist",
          "christian": "Christian", "hindu": "Hindu", "jewish": "Jewish", "muslim": "Muslim", "sikh": "Sikh",
          "heterosexual": "Heterosexual or straight", "gay_or_lesbian": "Gay or lesbian", "bisexual": "Bisexual",
          PREFER_NOT: "Prefer not to say"}
FORMATS = {"standard": "Standard print or email", "large_print": "Large print", "easy_read": "Easy read",
           "audio": "Audio", "braille": "Braille", "bsl": "British Sign Language"}
TAKES_PART_AS = {"service_user": "Someone who uses or has used mental health services", "carer": "A carer",
                 PREFER_NOT: "Prefer not to say"}
TEXT_LIMIT = 1000


def options(field: str) -> dict[str, str]:
    """value -> English label for one equality question, "prefer not to say" last."""
    return {v: LABELS.get(v, v) for v in (*EQUALITY[field][1], PREFER_NOT)}


def check_details(form: dict) -> tuple[dict, dict[str, str]]:
    """(the changes to store, errors by field) from a details form. Blank answers stay unanswered."""
    changes, errors = {}, {}
    for field, (_label, values) in EQUALITY.items():
        value = (form.get(field) or "").strip()
        if value and value not in (*values, PREFER_NOT):
            errors[field] = "Choose one of the answers"
        elif value:
            changes[field] = value
    role = (form.get("takes_part_as") or "").strip()
    if role and role not in TAKES_PART_AS:
        errors["takes_part_as"] = "Choose one of the answers"
    elif role in ("carer", "service_user"):
        changes["carer"] = role == "carer"
    fmt = (form.get("preferred_format") or "").strip()
    if fmt and fmt not in FORMATS:
        errors["preferred_format"] = "Choose one of the formats"
    elif fmt:
        changes["preferred_format"] = fmt
    for field in ("access_needs", "availability_note"):
        text = (form.get(field) or "").strip()
        if len(text) > TEXT_LIMIT:
            errors[field] = f"Use {TEXT_LIMIT} characters or fewer"
        else:
            changes[field] = text or None
    if "recruitment_consent" in form:
        changes["recruitment_consent"] = form.get("recruitment_consent") == "yes"
    return changes, errors
