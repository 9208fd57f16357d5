"""Generated recruitments with service-user panels (for the data generator).

Past interviews mostly have one or more members who `attended`; some had every member decline or
let the invitation expire (so they do not count as interviews with involvement); future ones are
still `invited` or `accepted`.
"""

from __future__ import annotations

import random
from datetime import UTC, date, datetime, time, timedelta

from sqlalchemy import func, select

from involve.domain.recruitment import STAFF_GROUPS
from involve.reports.generate_rows import MAPPED, SERVICES
from models import PanelMember, Recruitment


def recruitment_rows(
    conn, rng: random.Random, register: list[dict], first: date, last: date, n: int
) -> list[tuple]:
    """[(table, rows)] for `n` recruitments between `first` and `last` and their panels."""
    rec_id = int(conn.execute(select(func.coalesce(func.max(Recruitment.id), 0))).scalar_one()) + 1
    member_id = int(conn.execute(select(func.coalesce(func.max(PanelMember.id), 0))).scalar_one()) + 1
    pool = [p["id"] for p in register if p["recruitment_consent"]] or [p["id"] for p in register]
    recruitments, members = [], []
    days = (last - first).days
    for i in range(n):
        rid = rec_id + i
        interview = first + timedelta(days=rng.randint(0, days))
        if rng.random() < 0.05:  # the year boundary
            year = rng.randint(first.year + 1, last.year)
            interview = date(year, 3, 31) if rng.random() < 0.5 else date(year, 4, 1)
            interview = interview if first <= interview <= last else first
        started = datetime.combine(interview - timedelta(days=rng.randint(20, 60)), time(10, 0), UTC)
        size = rng.randint(1, 4)
        recruitments.append(
            {
                "id": rid,
                "reference": f"REC-G{rid:08d}",
                "title": "Generated vacancy",
                "staff_group": rng.choice(STAFF_GROUPS),
                "borough": rng.choice((*MAPPED, "trust_wide")),
                "service": rng.choice(SERVICES),
                "interview_date": interview,
                "interview_start": "09:30",
                "interview_end": "13:00",
                "panel_size": size,
                "job_description_draft": None,
                "job_description_final": None,
                "final_comment_ids": [],
                "decision_rule": "Equal weight",
                "status": "closed" if interview < last else "open",
                "outcome": None,
                "panel_view": None,
                "created_by": "hr@example.nhs.uk",
                "created_at": started,
                "closed_by": None,
                "closed_at": None,
                "due_at": None,
                "shortfall_alerted_at": None,
            }
        )
        past = interview < last
        involved = past and rng.random() < 0.75
        for j, person in enumerate(rng.sample(pool, min(size + rng.randint(0, 2), len(pool)))):
            if past:
                status = (
                    "attended" if involved and j < size else rng.choice(("declined", "expired", "accepted"))
                )
            else:
                status = rng.choice(("invited", "accepted"))
            members.append(
                {
                    "id": member_id + len(members),
                    "recruitment_id": rid,
                    "person_id": person,
                    "status": status,
                    "invited_at": started,
                    "respond_by": started + timedelta(days=7),
                    "responded_at": None,
                    "decline_reason": None,
                    "training_session_id": None,
                    "training_alerted_at": None,
                    "jd_requested_at": None,
                    "questions_requested_at": None,
                    "reminded_at": None,
                    "attended_at": datetime.combine(interview, time(13, 0), UTC)
                    if status == "attended"
                    else None,
                    "claim_reference": None,
                }
            )
    return [(Recruitment.__table__, recruitments), (PanelMember.__table__, members)]
