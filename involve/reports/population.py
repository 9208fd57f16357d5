"""The mapping exercise: the population baseline (Census 2021, `involve/data/population-baseline.toml`)
and the rules that place a person's self-declared answers in each measure.

A measure is one of the mapping-exercise categories of `involve.domain.diversity`. Its share among
people involved counts only people who answered the question it rests on (someone who did not give
an age is neither "older" nor "younger").
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

from involve.domain.diversity import CATEGORIES, NOT_SAID, _norm, age_bounds, is_bme, mapping_categories

BASELINE_FILE = Path(__file__).resolve().parents[1] / "data" / "population-baseline.toml"
MAPPED_BOROUGHS = ("barking_dagenham", "havering", "redbridge", "waltham_forest")
ETHNIC_GROUPS = ("asian", "black", "mixed", "white", "other")
NOT_STATED = "not_stated"


@dataclass(frozen=True)
class Figure:
    borough: str
    measure: str
    percent: str
    table: str
    source_title: str
    source_url: str
    note: str = ""


@dataclass(frozen=True)
class Baseline:
    census: str
    measures: dict[str, dict]
    figures: dict[tuple[str, str], Figure]
    notes: str
    missing: dict[tuple[str, str], str] = field(default_factory=dict)  # (borough, measure): why no figure


@lru_cache(maxsize=4)
def load_baseline(path: Path = BASELINE_FILE) -> Baseline:
    text = path.read_text(encoding="utf-8")
    data = tomllib.loads(text)
    figures = {
        (f["borough"], f["measure"]): Figure(
            f["borough"],
            f["measure"],
            str(f["percent"]),
            f["table"],
            f["source_title"],
            f["source_url"],
            f.get("note", ""),
        )
        for f in data.get("figures", [])
    }
    notes = "\n".join(line[1:].strip() for line in text.splitlines() if line.startswith("#"))
    missing = {(m["borough"], m["measure"]): m["reason"] for m in data.get("missing", [])}
    return Baseline(data["census"], data["measures"], figures, notes, missing)


def ethnic_broad(value: str | None) -> str:
    """An ethnic-group answer to its ONS high-level group: asian, black, mixed, white or other.
    White is exactly "not BME" under `involve.domain.diversity`, so the two views agree."""
    v = _norm(value)
    if v in NOT_SAID:
        return NOT_STATED
    words = v.split()
    if words[0] == "mixed" or "multiple" in words:
        return "mixed"
    if not is_bme(value):
        return "white"
    for group, names in (
        ("asian", ("asian", "indian", "pakistani", "bangladeshi", "chinese")),
        ("black", ("black", "african", "caribbean")),
    ):
        if any(w in words for w in names):
            return group
    return "other"


def plain(value: str | None) -> str:
    v = (value or "").strip().lower()
    return v or NOT_STATED


def yes_no(value: bool | None) -> str:
    return NOT_STATED if value is None else ("yes" if value else "no")


def in_measure(
    measure: str,
    age_band: str | None,
    ethnic_group: str | None,
    gender: str | None,
    learning_disability: bool | None,
) -> bool | None:
    """True/False when the person's answers place them in/out of `measure` (a mapping category of
    `involve.domain.diversity`, the rule recruitment shortlists use too); None when not answered."""
    if measure not in CATEGORIES:
        raise ValueError(f"unknown measure {measure}")
    answered = {
        "older_people": age_bounds(age_band) != (None, None),
        "young_people": age_bounds(age_band) != (None, None),
        "bme": _norm(ethnic_group) not in NOT_SAID,
        "women": _norm(gender) not in NOT_SAID,
        "learning_disability": learning_disability is not None,
    }[measure]
    if not answered:
        return None
    return measure in mapping_categories(
        age_band=age_band, ethnic_group=ethnic_group, gender=gender, learning_disability=learning_disability
    )
