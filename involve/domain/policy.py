"""The payments policy: effective-dated periods of rates, read from TOML and validated.

A claim uses the latest period whose `effective_from` is on or before its activity date, so
rates can change each April without touching past claims. A kind may override `block_hours`
and `block_rate` (`[periods.kinds.interview_panel]`).
"""
from __future__ import annotations

import tomllib
from datetime import date
from decimal import Decimal
from functools import lru_cache
from pathlib import Path
from typing import Annotated

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, ValidationError, model_validator

from involve.domain.budget import BudgetRules
from involve.domain.claim_schema import ACTIVITY_KINDS
from involve.domain.recruitment import RecruitmentRules
from involve.errors import PolicyError


def _dec(v):
    if isinstance(v, bool):
        raise ValueError("must be a number")
    return Decimal(str(v))


Dec = Annotated[Decimal, BeforeValidator(_dec), Field(ge=0)]
PositiveDec = Annotated[Decimal, BeforeValidator(_dec), Field(gt=0)]


class KindRates(BaseModel):
    model_config = ConfigDict(extra="forbid")
    block_hours: PositiveDec | None = None
    block_rate: Dec | None = None


class Period(BaseModel):
    model_config = ConfigDict(extra="forbid")
    effective_from: date
    block_hours: PositiveDec
    block_rate: Dec
    max_blocks_per_day: Annotated[int, Field(ge=1, le=24)]
    car_per_mile: Dec
    passenger_per_mile: Dec
    bicycle_per_mile: Dec
    receipt_required_over: Dec
    claim_deadline_days: Annotated[int, Field(ge=1)]
    second_approval_over: Dec
    approval_reminder_days: Annotated[int, Field(ge=1)]
    escalate_after_days: Annotated[int, Field(ge=1)] | None = None  # else the policy's top-level value
    kinds: dict[str, KindRates] = {}

    @model_validator(mode="after")
    def _known_kinds(self):
        for kind in self.kinds:
            if kind not in ACTIVITY_KINDS:
                raise ValueError(f"kinds.{kind}: not an activity kind ({', '.join(ACTIVITY_KINDS)})")
        return self

    def rates_for(self, kind: str) -> tuple[Decimal, Decimal]:
        over = self.kinds.get(kind)
        hours = over.block_hours if over and over.block_hours is not None else self.block_hours
        rate = over.block_rate if over and over.block_rate is not None else self.block_rate
        return hours, rate


class Policy(BaseModel):
    model_config = ConfigDict(extra="forbid")
    periods: Annotated[list[Period], Field(min_length=1)]
    recruitment: RecruitmentRules = RecruitmentRules()  # the optional [recruitment] table (recruitment.md)
    budget: BudgetRules = BudgetRules()  # the optional [budget] table: cost centres (involve/domain/budget.py)
    escalate_after_days: Annotated[int, Field(ge=1)] = 10  # claims waiting longer go to every co-ordinator

    @model_validator(mode="after")
    def _sorted_unique(self):
        dates = [p.effective_from for p in self.periods]
        if len(set(dates)) != len(dates):
            raise ValueError("two periods have the same effective_from")
        self.periods.sort(key=lambda p: p.effective_from)
        return self

    def escalate_days_for(self, day: date) -> int:
        own = self.period_for(day).escalate_after_days
        return own if own is not None else self.escalate_after_days

    def period_for(self, day: date) -> Period:
        chosen = None
        for period in self.periods:
            if period.effective_from <= day:
                chosen = period
        if chosen is None:
            raise PolicyError(f"no payments policy period covers {day.isoformat()} "
                              f"(the first starts {self.periods[0].effective_from.isoformat()})")
        return chosen


def parse_policy(text: str, *, source: str = "policy") -> Policy:
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise PolicyError(f"{source}: not valid TOML ({exc})") from None
    try:
        return Policy.model_validate(data)
    except ValidationError as exc:
        err = exc.errors()[0]
        where = ".".join(str(p) for p in err["loc"])
        raise PolicyError(f"{source}: {where}: {err['msg'].removeprefix('Value error, ')}") from None


@lru_cache(maxsize=8)
def _load(path: str, version: tuple[int, int, int, int]) -> Policy:
    return parse_policy(Path(path).read_text(), source=path)


def load_policy(path: Path | None = None) -> Policy:
    """The policy in `path` (default: INVOLVE_POLICY_FILE), re-read when the file changes."""
    if path is None:
        from involve.settings import settings

        path = settings.policy_file
    p = Path(path)
    try:
        # one stat per call (intake asks for every batch): the file as it is now, by its identity and
        # change time, so an edited, replaced or re-pointed (symlinked) policy is read again
        st = p.stat()
        return _load(str(p), (st.st_dev, st.st_ino, st.st_mtime_ns, st.st_size))
    except OSError as exc:
        raise PolicyError(f"INVOLVE_POLICY_FILE: cannot read {p}: {exc.strerror}") from None
