"""The figures of a report: one row per (section, metric, breakdown), written as `report.csv`.

The HTML reads every number from the same `Figures` object, so the page and the CSV cannot
disagree. Values are strings: counts as integers, money as pounds with 2 places, percentages
and days with 1 place, and "<5" for a suppressed small cell.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

from involve.csvfile import write_csv

SMALL = 5
SUPPRESSED = "<5"
NA = "n/a"
COLUMNS = ("section", "metric", "breakdown", "value")


def money(pence: int) -> str:
    """Whole pence to a pounds string with 2 places."""
    return f"{Decimal(int(pence)) / 100:.2f}"


def one_place(value: float | Decimal | None) -> str:
    if value is None:
        return NA
    return str(Decimal(str(value)).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP))


def percent(part: int, whole: int) -> str:
    """`part` of `whole` as a percentage with 1 place ("n/a" when `whole` is 0)."""
    if not whole:
        return NA
    return str((Decimal(part) * 100 / Decimal(whole)).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP))


def small(n: int) -> str:
    """A count in a diversity table: fewer than 5 could identify someone, so it shows as "<5"."""
    return SUPPRESSED if n < SMALL else str(n)


def small_percent(part: int, whole: int) -> str:
    """A percentage that would reveal a small count (or rest on one) is suppressed too."""
    return SUPPRESSED if part < SMALL or whole < SMALL else percent(part, whole)


def breakdown(name: str | None, value: str | None) -> str:
    return "" if name is None else f"{name}:{value}"


@dataclass(frozen=True)
class Row:
    section: str
    metric: str
    breakdown: str
    value: str


class Figures:
    """An ordered, duplicate-free set of report rows with lookup for the templates."""

    def __init__(self) -> None:
        self.rows: list[Row] = []
        self._index: dict[tuple[str, str], Row] = {}

    def add(self, section: str, metric: str, value: object, by: str | None = None, key: object = None) -> str:
        row = Row(section, metric, breakdown(by, None if key is None else str(key)), str(value))
        ident = (row.metric, row.breakdown)
        if ident in self._index:
            raise ValueError(f"figure {ident} given twice")
        self._index[ident] = row
        self.rows.append(row)
        return row.value

    def get(self, metric: str, by: str | None = None, key: object = None, default: str = NA) -> str:
        row = self._index.get((metric, breakdown(by, None if key is None else str(key))))
        return row.value if row else default

    def keys(self, metric: str, by: str) -> list[str]:
        """The breakdown values present for `metric` by `by`, in the order they were added."""
        prefix = f"{by}:"
        return [
            r.breakdown[len(prefix) :]
            for r in self.rows
            if r.metric == metric and r.breakdown.startswith(prefix)
        ]

    def write_csv(self, path: Path) -> None:
        """report.csv through the one CSV writer (formulas neutralised, written atomically)."""
        write_csv(path, COLUMNS, ((r.section, r.metric, r.breakdown, r.value) for r in self.rows))
