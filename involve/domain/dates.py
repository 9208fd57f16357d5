"""The trust's calendar: its time zone (Europe/London, as the policy, the reports and the flow
schedules read dates) and the day it is there."""
from __future__ import annotations

from datetime import UTC, date, datetime, time
from zoneinfo import ZoneInfo

TIMEZONE = "Europe/London"
LONDON = ZoneInfo(TIMEZONE)


def london_today(now: datetime) -> date:
    """The date in London at the (timezone-aware) moment `now`."""
    return now.astimezone(LONDON).date()


def london_midnight(day: date) -> datetime:
    """The start of `day` in London, in UTC."""
    return datetime.combine(day, time(0, 0), tzinfo=LONDON).astimezone(UTC)
