"""The current time for recruitment's long waits, in one place.

Recruitment services take an explicit `now` and otherwise ask `clock.now()`. Tests of a wait
that lasts weeks move `OFFSET` (e.g. "five days later") instead of sleeping; in production it
is zero, and nothing else reads it.
"""
from __future__ import annotations

from datetime import UTC, datetime, timedelta

OFFSET = timedelta(0)


def now() -> datetime:
    """Timezone-aware UTC now (plus the test offset)."""
    return datetime.now(UTC) + OFFSET
