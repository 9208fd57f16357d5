"""Recruitment involvement rules. Pure: no database, no clock (callers pass `today` / `now`).

- who may be invited (`ineligible_reason`): consented, active, free on the interview date, no
  declared conflict with the team or service, under `max_panels_per_month` that month;
- the order of invitations (`shortlist`): cover the mapping-exercise categories the panel lacks,
  include someone from the vacancy's borough, then the already trained, then the least used;
- training validity (`trained_until`, `training_valid_on`), deadlines and the reminder day.

The numbers live in the `[recruitment]` table of the payments policy (`RecruitmentRules`).
"""
from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field

from involve.domain.dates import london_midnight

STAFF_GROUPS = ("senior_manager", "clinician", "social_worker", "cpn", "nurse", "occupational_therapist",
                "psychologist", "psychotherapist", "other")
HOLDS_SEAT = ("invited", "accepted", "attended")  # a pending invitation keeps its seat until it expires
SITS = ("accepted", "attended")


class RecruitmentRules(BaseModel):
    """The `[recruitment]` table of the payments policy; every key is optional."""

    model_config = ConfigDict(extra="forbid")
    invitation_days: Annotated[int, Field(ge=1, le=60)] = 5
    max_panels_per_month: Annotated[int, Field(ge=1, le=31)] = 2
    panel_training_valid_months: Annotated[int, Field(ge=1, le=120)] = 24
    reminder_days_before: Annotated[int, Field(ge=0, le=30)] = 2
    recheck_hours: Annotated[int, Field(ge=1, le=168)] = 24  # look again for candidates while seats are open


def add_months(day: date, months: int) -> date:
    y, m = divmod(day.month - 1 + months, 12)
    year, month = day.year + y, m + 1
    for d in (day.day, 30, 29, 28):
        try:
            return date(year, month, d)
        except ValueError:
            continue
    raise AssertionError("unreachable")


def trained_until(trained_on: date | None, months: int) -> date | None:
    """The last day panel training taken on `trained_on` is valid."""
    return None if trained_on is None else add_months(trained_on, months) - timedelta(days=1)


def training_valid_on(trained_on: date | None, day: date, months: int) -> bool:
    until = trained_until(trained_on, months)
    return until is not None and trained_on <= day <= until


def norm_team(value: str | None) -> str:
    return re.sub(r"[^a-z0-9]+", " ", (value or "").casefold()).strip()


@dataclass(frozen=True)
class Vacancy:
    interview_date: date
    borough: str
    teams: tuple[str, ...]  # the service / team names a conflict is declared against


@dataclass(frozen=True)
class Candidate:
    person_id: int
    borough: str | None
    active: bool
    consent: bool
    unavailable: frozenset[date]
    conflicts: tuple[str, ...]
    categories: frozenset[str] = field(default_factory=frozenset)
    panels_that_month: int = 0  # seats held (invited, accepted, attended) in other recruitments that month
    trained_on: date | None = None


def ineligible_reason(c: Candidate, v: Vacancy, rules: RecruitmentRules) -> str | None:
    """Why `c` may not be invited to `v`, or None when they may."""
    if not c.consent:
        return "has not consented to recruitment involvement"
    if not c.active:
        return "is not active in the register"
    if v.interview_date in c.unavailable:
        return "is not free on the interview date"
    teams = {norm_team(t) for t in v.teams if norm_team(t)}
    if any(norm_team(x) in teams for x in c.conflicts):
        return "has declared a conflict with this team"
    if c.panels_that_month >= rules.max_panels_per_month:
        return f"is already on {c.panels_that_month} panels that month"
    return None


def shortlist(candidates: Iterable[Candidate], v: Vacancy, rules: RecruitmentRules, *, seats: int,
              panel_categories: frozenset[str] = frozenset(),
              panel_has_borough: bool = False) -> list[Candidate]:
    """Up to `seats` eligible candidates in invitation order, chosen one at a time (greedy): each
    pick adds the most mapping categories the panel does not yet have, then someone from the
    borough while the panel has nobody from it, then trained people, then those on fewer panels."""
    pool = [c for c in candidates if ineligible_reason(c, v, rules) is None]
    covered, has_borough, picks = set(panel_categories), panel_has_borough, []
    while pool and len(picks) < seats:
        cov, hb = frozenset(covered), has_borough
        best = max(pool, key=lambda c, cov=cov, hb=hb: _preference(c, v, rules, cov, hb))
        pool.remove(best)
        picks.append(best)
        covered |= best.categories
        has_borough = has_borough or best.borough == v.borough
    return picks


def _preference(c: Candidate, v: Vacancy, rules: RecruitmentRules, covered: frozenset[str],
                has_borough: bool) -> tuple:
    return (len(c.categories - covered), not has_borough and c.borough == v.borough,
            training_valid_on(c.trained_on, v.interview_date, rules.panel_training_valid_months),
            -c.panels_that_month, -c.person_id)


def respond_by(now: datetime, interview_date: date, rules: RecruitmentRules) -> datetime:
    """When an invitation sent at `now` expires: `invitation_days` later, but not after the interview day."""
    return min(now + timedelta(days=rules.invitation_days),
               london_midnight(interview_date + timedelta(days=1)))


def reminder_day(interview_date: date, rules: RecruitmentRules) -> date:
    return interview_date - timedelta(days=rules.reminder_days_before)


def score_summary(scores: Iterable[tuple[str, int]]) -> dict[str, dict]:
    """{candidate: {count, mean}} from (candidate, score) pairs; the mean has 2 decimal places."""
    sums: dict[str, list[int]] = {}
    for candidate, score in scores:
        sums.setdefault(candidate, []).append(score)
    return {c: {"count": len(v), "mean": f"{sum(v) / len(v):.2f}"} for c, v in sorted(sums.items())}
