"""Diversity of the people involved, the mapping exercise against the Census baseline, and the
Race Equality view (approval and rejection rates by ethnic group).

People are counted once each (per borough for the borough view); their answers are the
self-declared, optional fields of the involvement register. Every count under 5 shows as "<5",
and so does any percentage built on such a count.
"""

from __future__ import annotations

from collections import Counter, defaultdict

from involve.reports.figures import Figures, small, small_percent
from involve.reports.population import (
    ETHNIC_GROUPS,
    MAPPED_BOROUGHS,
    NOT_STATED,
    Baseline,
    ethnic_broad,
    in_measure,
    plain,
    yes_no,
)
from involve.reports.queries import FINAL

PROFILE_FIELDS = ("ethnic_group", "age_band", "gender", "disability", "learning_disability")


def _ordered(counts: Counter, canonical: tuple[str, ...] = ()) -> list[str]:
    rest = sorted(k for k in counts if k not in canonical and k != NOT_STATED)
    return [k for k in canonical if k in counts] + rest + ([NOT_STATED] if NOT_STATED in counts else [])


def add_profile(f: Figures, cells: list[tuple]) -> None:
    """`profile_people` by each self-declared field, over everyone involved in the period."""
    counts: dict[str, Counter] = {name: Counter() for name in PROFILE_FIELDS}
    for _, age, ethnic, gender, disability, ld, n in cells:
        counts["ethnic_group"][ethnic_broad(ethnic)] += n
        counts["age_band"][plain(age)] += n
        counts["gender"][plain(gender)] += n
        counts["disability"][plain(disability)] += n
        counts["learning_disability"][yes_no(ld)] += n
    for name in PROFILE_FIELDS:
        canonical = ETHNIC_GROUPS if name == "ethnic_group" else ("yes", "no")
        for key in _ordered(counts[name], canonical):
            f.add("diversity", "profile_people", small(counts[name][key]), name, key)


def add_mapping(f: Figures, total_cells: list[tuple], borough_cells: list[tuple], baseline: Baseline) -> dict:
    """Involved share against the Census share, per measure, for all people and per borough.
    Returns {(borough or None, measure): (involved %, population %)} as floats or None, for the chart."""
    tallies: dict[tuple[str | None, str], list[int]] = defaultdict(lambda: [0, 0])
    for cells, keyed in ((total_cells, False), (borough_cells, True)):
        for borough, age, ethnic, gender, _, ld, n in cells:
            for measure in baseline.measures:
                placed = in_measure(measure, age, ethnic, gender, ld)
                if placed is None:
                    continue
                tally = tallies[(borough if keyed else None, measure)]
                tally[0] += n if placed else 0
                tally[1] += n
    chart = {}
    for measure in baseline.measures:
        for area in (None, *MAPPED_BOROUGHS):
            inside, answered = tallies.get((area, measure), [0, 0])
            by = None if area is None else "borough"
            f.add("mapping", f"involved_count_{measure}", small(inside), by, area)
            share = f.add("mapping", f"involved_percent_{measure}", small_percent(inside, answered), by, area)
            fig = baseline.figures.get((area, measure)) if area else None
            if fig:
                f.add("mapping", f"population_percent_{measure}", fig.percent, "borough", area)
            chart[(area, measure)] = (_number(share), float(fig.percent) if fig else None)
    return chart


def add_race_equality(f: Figures, rows: list[tuple[str | None, str, int]]) -> None:
    """Claims decided (approved, paid or rejected) by the claimant's ethnic group; `rows` are
    (ethnic group answer, status, claims), other statuses are left out."""
    decided: Counter = Counter()
    approved: Counter = Counter()
    rejected: Counter = Counter()
    for ethnic, status, n in rows:
        if status not in FINAL:
            continue
        group = ethnic_broad(ethnic)
        decided[group] += n
        (rejected if status == "rejected" else approved)[group] += n
    for group in (*ETHNIC_GROUPS, NOT_STATED):
        f.add("race_equality", "decided_claims", small(decided[group]), "ethnic_group", group)
        f.add(
            "race_equality",
            "approval_rate_percent",
            small_percent(approved[group], decided[group]),
            "ethnic_group",
            group,
        )
        f.add(
            "race_equality",
            "rejection_rate_percent",
            small_percent(rejected[group], decided[group]),
            "ethnic_group",
            group,
        )


def _number(value: str) -> float | None:
    try:
        return float(value)
    except ValueError:
        return None
