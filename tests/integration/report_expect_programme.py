"""Independent figures for the involvement programme's sections of the annual report (action_plan,
activities, recruitment, support): raw SQL (`text()`) and plain Python, apart from `involve.reports`.
Called by `report_expect.expected`."""

from __future__ import annotations

import json
from collections import Counter
from datetime import datetime, timedelta

from sqlalchemy import text

KINDS = ("meeting", "interview_panel", "consultation", "training_delivery", "training_received", "other",
         "forum_meeting", "ward_visit", "survey", "cpa_audit", "staff_training", "governance")
BOROUGHS = ("barking_dagenham", "havering", "redbridge", "waltham_forest", "trust_wide")
PROGRAMMES = ("induction", "student_nurse", "cpa", "change_agent", "other")
LEVELS = ("trust_board", "committee", "borough", "service")
MONITORING = ("ward_visit", "survey", "cpa_audit")
PLAN_STATUSES = ("not_started", "on_track", "at_risk", "done")
YEAR_SQL = "c.activity_date >= :lo AND c.activity_date < :hi"
APPROVED_SQL = "c.status IN ('approved', 'paid')"


def q(conn, sql: str, **params) -> list:
    return conn.execute(text(sql), params).all()


def when(v) -> datetime:
    return datetime.fromisoformat(v) if isinstance(v, str) else v.replace(tzinfo=None)


def programme(conn, e, p: dict) -> None:
    """action_plan, activities, recruitment and support (the involvement programme)."""
    lo, hi = datetime.combine(p["lo"], datetime.min.time()), datetime.combine(p["hi"], datetime.min.time())
    actions = q(conn, "SELECT id, code, status, evidence_kinds FROM plan_actions")
    e.put("plan_actions", len(actions))
    for status in PLAN_STATUSES:
        e.put("plan_actions", sum(1 for a in actions if a[2] == status), "status", status)
    held = q(conn, "SELECT a.action_code, a.kind FROM activities a WHERE a.date >= :lo AND a.date < :hi", **p)
    claimed = dict(q(conn, f"SELECT c.activity_kind, COUNT(*) FROM claims c WHERE {YEAR_SQL} AND {APPROVED_SQL} "
                           f"GROUP BY c.activity_kind", **p))
    updates = Counter(aid for aid, at in q(conn, "SELECT action_id, at FROM plan_updates") if lo <= when(at) < hi)
    for aid, code, status, kinds in actions:
        kinds = set(json.loads(kinds) if isinstance(kinds, str) else kinds)
        e.put("action_status", status, "action", code)
        e.put("action_activities", sum(1 for c, k in held if c == code or k in kinds), "action", code)
        e.put("action_claims", sum(claimed.get(k, 0) for k in kinds), "action", code)
        e.put("action_updates", updates[aid], "action", code)

    year = "a.date >= :lo AND a.date < :hi"
    held = q(conn, f"SELECT a.kind, a.borough, a.programme, a.level, a.output FROM activities a WHERE {year}", **p)
    e.put("activities_held", len(held))
    for by, i, keys in (("activity_kind", 0, KINDS), ("borough", 1, BOROUGHS), ("programme", 2, PROGRAMMES),
                        ("level", 3, LEVELS)):
        c = Counter(row[i] for row in held)
        for key in keys:
            e.put("activities_held", c[key], by, key)
    e.put("forum_meetings", sum(1 for row in held if row[0] == "forum_meeting"))
    outputs = Counter(row[0] for row in held if row[4] is not None and row[0] in MONITORING)
    e.put("monitoring_outputs", sum(outputs.values()))
    for kind in MONITORING:
        e.put("monitoring_outputs", outputs[kind], "activity_kind", kind)
    invites = q(conn, f"SELECT a.kind, i.status FROM activity_invites i JOIN activities a ON a.id = i.activity_id "
                      f"WHERE {year}", **p)
    e.put("activity_invitations", len(invites))
    came = Counter(kind for kind, status in invites if status == "attended")
    e.put("activity_attendances", sum(came.values()))
    for kind in KINDS:
        e.put("activity_attendances", came[kind], "activity_kind", kind)
    forums = Counter(b for (b,) in q(conn, "SELECT borough FROM forums"))
    e.put("forums", sum(forums.values()))
    for b in BOROUGHS:
        e.put("forums", forums[b], "borough", b)

    rec = "r.interview_date >= :lo AND r.interview_date < :hi"
    co_written = q(conn, f"SELECT COUNT(*) FROM recruitments r WHERE {rec} AND EXISTS (SELECT 1 FROM "
                         f"jd_comments j WHERE j.recruitment_id = r.id AND j.status = 'accepted')", **p)
    e.put("jds_co_written", co_written[0][0])
    e.put("questions_contributed", q(conn, f"SELECT COUNT(*) FROM questions x JOIN recruitments r "
                                           f"ON r.id = x.recruitment_id WHERE {rec} "
                                           f"AND x.proposed_by_person_id IS NOT NULL", **p)[0][0])
    e.put("questions_used", q(conn, f"SELECT COUNT(DISTINCT u.question_id) FROM question_uses u JOIN questions x "
                                    f"ON x.id = u.question_id JOIN recruitments r ON r.id = u.recruitment_id "
                                    f"WHERE {rec} AND x.proposed_by_person_id IS NOT NULL", **p)[0][0])
    e.put("people_trained", q(conn, "SELECT COUNT(DISTINCT b.person_id) FROM training_bookings b JOIN "
                                    "training_sessions t ON t.id = b.session_id WHERE b.status = 'attended' "
                                    "AND t.date >= :lo AND t.date < :hi", **p)[0][0])
    e.put("panel_days_paid", q(conn, f"SELECT COUNT(*) FROM claims c WHERE {YEAR_SQL} AND c.status = 'paid' "
                                     f"AND c.activity_kind = 'interview_panel'", **p)[0][0])

    e.put("unmet_needs", q(conn, "SELECT COUNT(*) FROM unmet_needs WHERE recorded_on >= :lo AND recorded_on < :hi",
                           **p)[0][0])
    last = p["hi"] - timedelta(days=1)
    e.put("buddy_pairs", q(conn, "SELECT COUNT(*) FROM buddy_pairs WHERE started_on <= :last "
                                 "AND (ended_on IS NULL OR ended_on >= :lo)", last=last, lo=p["lo"])[0][0])
    requests = Counter(s for (s,) in q(conn, "SELECT status FROM support_requests WHERE requested_on >= :lo "
                                             "AND requested_on < :hi", **p))
    e.put("support_requests", sum(requests.values()))
    for status in ("open", "done", "cancelled"):
        e.put("support_requests", requests[status], "status", status)
