"""Targets per year (INVOLVE_TARGETS_FILE, default involve/data/targets.toml) against the annual
report's actual figures: section `targets` of report.csv, metrics `target_<metric>` (the target)
and `target_met_<metric>` (yes, no, or n/a when the report has no such figure), with the target's
breakdown."""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from pathlib import Path

from involve.errors import InvolveError
from involve.reports.figures import NA, Figures

DIRECTIONS = ("at_least", "at_most")
KEYS = {"year", "metric", "breakdown", "target", "direction"}


@dataclass(frozen=True)
class Target:
    year: int
    metric: str
    breakdown: str
    target: Decimal
    direction: str


def parse_targets(text: str, *, source: str = "targets") -> list[Target]:
    try:
        rows = tomllib.loads(text).get("targets", [])
    except tomllib.TOMLDecodeError as exc:
        raise InvolveError(f"{source}: not valid TOML ({exc})") from None
    out, seen = [], set()
    for n, row in enumerate(rows if isinstance(rows, list) else [None], 1):
        where = f"{source}: target {n}"
        if not isinstance(row, dict) or set(row) - KEYS or not {"year", "metric", "target"} <= set(row):
            raise InvolveError(f"{where}: needs year, metric and target (and optionally breakdown, direction)")
        try:
            value = Decimal(str(row["target"]))
        except InvalidOperation:
            raise InvolveError(f"{where}: target is not a number") from None
        direction = row.get("direction", "at_least")
        if direction not in DIRECTIONS or not isinstance(row["year"], int) or not isinstance(row["metric"], str):
            raise InvolveError(f"{where}: year must be a year, metric a name, direction at_least or at_most")
        t = Target(row["year"], row["metric"], str(row.get("breakdown", "")), value, direction)
        if (t.year, t.metric, t.breakdown) in seen:
            raise InvolveError(f"{where}: {t.metric} {t.breakdown} has two targets for {t.year}")
        seen.add((t.year, t.metric, t.breakdown))
        out.append(t)
    return out


def load_targets(path: Path | None = None) -> list[Target]:
    if path is None:
        from involve.settings import settings

        path = settings.targets_file
    return parse_targets(Path(path).read_text(encoding="utf-8"), source=str(path))


def met(actual: str, t: Target) -> str:
    try:
        value = Decimal(actual)
    except InvalidOperation:
        return NA
    return "yes" if (value >= t.target if t.direction == "at_least" else value <= t.target) else "no"


def add_targets(f: Figures, year: int, targets: list[Target]) -> list[dict]:
    """Rows for this year's targets (after every other figure is in `f`); returns them for the page."""
    shown = []
    for t in (t for t in targets if t.year == year):
        by, _, key = t.breakdown.partition(":")
        by, key = (by, key) if t.breakdown else (None, None)
        actual = f.get(t.metric, by, key)
        target = f"{t.target:f}"
        f.add("targets", f"target_{t.metric}", target, by, key)
        f.add("targets", f"target_met_{t.metric}", met(actual, t), by, key)
        shown.append({"metric": t.metric, "breakdown": t.breakdown, "target": target, "actual": actual,
                      "direction": t.direction, "met": met(actual, t)})
    return shown
