"""Banking days, in one place: when money arrives after approval (`INVOLVE_PAYMENT_DAYS`) and the
processing day of a Bacs file (`involve/domain/bacs18.py`). Pure: dates in, dates out.

Working days skip weekends and England and Wales bank holidays (the `holidays` package's data, so
new years' bank holidays arrive with a package update, not a code change). Bacs does not process on
those days either.
"""
from __future__ import annotations

from datetime import date, timedelta
from functools import lru_cache

import holidays


@lru_cache(maxsize=1)
def _bank_holidays() -> holidays.HolidayBase:
    return holidays.country_holidays("GB", subdiv="ENG")


def is_working_day(day: date) -> bool:
    return day.weekday() < 5 and day not in _bank_holidays()


def next_working_day(day: date) -> date:
    """The first working day after `day` (a Bacs file's processing day, the day after it is made)."""
    return add_working_days(day, 1)


def add_working_days(start: date, days: int) -> date:
    """The date `days` working days after `start` (the start day itself does not count)."""
    day = start
    while days > 0:
        day += timedelta(days=1)
        if is_working_day(day):
            days -= 1
    return day
