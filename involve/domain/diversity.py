"""The mapping-exercise categories, derived from a person's self-declared register fields. Pure.

The Strategy's mapping exercise compares the people involved with the local population in five
categories: older people, BME, learning disability, women, young people. The register keeps the
person's own words (age band, ethnic group, gender, learning disability yes/no); this module is
the one place that says which category each answer counts towards, so recruitment shortlists and
the annual report agree. Unknown or "prefer not to say" answers count towards no category.
"""
from __future__ import annotations

import re

CATEGORIES = ("older_people", "bme", "learning_disability", "women", "young_people")
OLDER_FROM = 65  # an age band starting at 65 or more
YOUNG_TO = 25  # an age band ending at 25 or less
WHITE_GROUPS = ("white", "white british", "white english", "white scottish", "white welsh",
                "white northern irish", "white irish", "white other", "any other white background",
                "white gypsy or irish traveller", "white roma")
NOT_SAID = ("", "unknown", "not known", "prefer not to say", "not stated", "declined", "n/a", "none")
WOMEN = ("female", "woman", "women", "f", "trans woman", "transwoman")


def _norm(value: str | None) -> str:
    return re.sub(r"[\s_:,/-]+", " ", (value or "").strip().casefold()).strip()


def age_bounds(age_band: str | None) -> tuple[int | None, int | None]:
    """(lowest, highest) age of a band such as "18-24", "65+", "under 25", "75 and over"."""
    text = _norm(age_band)
    numbers = [int(n) for n in re.findall(r"\d+", text)]
    if not numbers:
        return None, None
    if "+" in (age_band or "") or "over" in text or "older" in text or "plus" in text:
        return numbers[0], None
    if "under" in text or "below" in text:
        return None, numbers[0] - 1
    return (numbers[0], numbers[-1]) if len(numbers) > 1 else (numbers[0], numbers[0])


def is_bme(ethnic_group: str | None) -> bool:
    text = _norm(ethnic_group)
    if text in NOT_SAID:
        return False
    return text not in WHITE_GROUPS and not text.startswith("white ")


def mapping_categories(*, age_band: str | None = None, ethnic_group: str | None = None,
                       gender: str | None = None, learning_disability: bool | None = None) -> frozenset[str]:
    """The mapping-exercise categories these self-declared answers count towards."""
    found: set[str] = set()
    low, high = age_bounds(age_band)
    if low is not None and low >= OLDER_FROM:
        found.add("older_people")
    if high is not None and high <= YOUNG_TO:
        found.add("young_people")
    if is_bme(ethnic_group):
        found.add("bme")
    if _norm(gender) in WOMEN:
        found.add("women")
    if learning_disability:
        found.add("learning_disability")
    return frozenset(found)


def categories_of(person) -> frozenset[str]:
    """Categories of a register row (anything with the four diversity attributes)."""
    return mapping_categories(age_band=person.age_band, ethnic_group=person.ethnic_group,
                              gender=person.gender,
                              learning_disability=person.learning_disability)
