"""Interviews with service-user involvement, read from the recruitment feature's tables.

A recruitment counts in a period when its interview date falls in it and at least one panel
member (a person from the involvement register) has status `attended`. The recruitment models
come from `models.recruitment`; when that module is not there, the figures are reported as 0
with a note, rather than the report failing.
"""

from __future__ import annotations

from sqlalchemy import Connection, func, literal, select

from involve.domain.recruitment import STAFF_GROUPS  # noqa: F401 (the report's staff-group order)
from involve.reports.queries import Period
from models.recruitment import PanelMember, Recruitment


def interview_cells(conn: Connection, period: Period) -> list[tuple[str, str, int]]:
    """[(staff_group, borough, recruitments)] with at least one attending panel member."""
    recruitment, member = Recruitment, PanelMember
    attended = (
        select(literal(1))
        .where(member.recruitment_id == recruitment.id, member.status == "attended")
        .correlate(recruitment)
        .exists()
    )
    stmt = (
        select(recruitment.staff_group, recruitment.borough, func.count())
        .where(recruitment.interview_date.between(period.start, period.end), attended)
        .group_by(recruitment.staff_group, recruitment.borough)
    )
    return [(g, b, int(n)) for g, b, n in conn.execute(stmt)]
