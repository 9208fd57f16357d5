"""The involvement programme in the annual report: Action Plan progress, activities (by kind,
programme, level, borough; invitations, attendance, monitoring outputs; forums and their meetings),
the recruitment figures and support. Aggregates in SQL over the small programme tables; the one
claims figure (panel days paid) comes from the claim cells the report already has.

Sections of `report.csv`: `action_plan`, `activities`, `recruitment`, `support`.
"""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime, time, timedelta

from sqlalchemy import Connection, and_, distinct, func, or_, select

from involve.domain.claim_schema import ACTIVITY_KINDS, BOROUGHS
from involve.domain.programme import LEVELS, MONITORING_KINDS, PLAN_STATUSES, PROGRAMMES, SUPPORT_STATUSES
from involve.reports.figures import Figures
from involve.reports.queries import APPROVED, Cell, Period
from involve.reports.sections import category_keys
from models import (
    Activity,
    ActivityInvite,
    BuddyPair,
    Forum,
    JdComment,
    PlanAction,
    PlanUpdate,
    Question,
    QuestionUse,
    Recruitment,
    SupportRequest,
    TrainingBooking,
    TrainingSession,
    UnmetNeed,
)


def _utc_bounds(period: Period) -> tuple[datetime, datetime]:
    return (datetime.combine(period.start, time(0), UTC),
            datetime.combine(period.end + timedelta(days=1), time(0), UTC))


def plan_progress(conn: Connection, period: Period, cells: list[Cell]) -> list[dict]:
    """Each action with its status, its evidence in the year (activities tagged with it or of one of
    its evidence kinds; approved or paid claims of those kinds) and its updates in the year."""
    lo, hi = _utc_bounds(period)
    held = conn.execute(select(Activity.action_code, Activity.kind, func.count()).where(
        Activity.date.between(period.start, period.end)).group_by(Activity.action_code, Activity.kind)).all()
    claims: Counter = Counter()
    for c in cells:
        if c.status in APPROVED:
            claims[c.kind] += c.claims
    updates: dict[int, list] = {}
    for u in conn.execute(select(PlanUpdate.action_id, PlanUpdate.at, PlanUpdate.status, PlanUpdate.note)
                          .where(PlanUpdate.at >= lo, PlanUpdate.at < hi).order_by(PlanUpdate.at, PlanUpdate.id)):
        updates.setdefault(u.action_id, []).append(u)
    out = []
    for a in conn.execute(select(PlanAction).order_by(PlanAction.position, PlanAction.code)):
        kinds = set(a.evidence_kinds or [])
        out.append({"id": a.code, "work_area": a.work_area, "action": a.action, "lead": a.lead,
                    "timescale": a.timescale, "how_tracked": a.how_tracked, "status": a.status,
                    "activities": sum(int(n) for code, kind, n in held if code == a.code or kind in kinds),
                    "claims": sum(claims[k] for k in kinds), "updates": updates.get(a.id, [])})
    return out


def add_action_plan(f: Figures, plan: list[dict]) -> None:
    statuses = Counter(a["status"] for a in plan)
    f.add("action_plan", "plan_actions", len(plan))
    for s in PLAN_STATUSES:
        f.add("action_plan", "plan_actions", statuses[s], "status", s)
    for a in plan:
        f.add("action_plan", "action_status", a["status"], "action", a["id"])
        f.add("action_plan", "action_activities", a["activities"], "action", a["id"])
        f.add("action_plan", "action_claims", a["claims"], "action", a["id"])
        f.add("action_plan", "action_updates", len(a["updates"]), "action", a["id"])


def add_activities(f: Figures, conn: Connection, period: Period) -> None:
    in_year = Activity.date.between(period.start, period.end)
    rows = conn.execute(select(Activity.kind, Activity.borough, Activity.programme, Activity.level,
                               Activity.output.is_not(None), func.count())
                        .where(in_year).group_by(Activity.kind, Activity.borough, Activity.programme,
                                                 Activity.level, Activity.output.is_not(None))).all()
    held: Counter = Counter()
    outputs: Counter = Counter()
    for kind, borough, programme, level, has_output, n in rows:
        for key in (None, ("activity_kind", kind), ("borough", borough), ("programme", programme),
                    ("level", level)):
            held[key] += n
        if has_output and kind in MONITORING_KINDS:
            outputs[None] += n
            outputs[("activity_kind", kind)] += n
    kinds = category_keys(ACTIVITY_KINDS, (r[0] for r in rows))
    f.add("activities", "activities_held", held[None])
    for dim, keys in (("activity_kind", kinds), ("borough", category_keys(BOROUGHS, (r[1] for r in rows))),
                      ("programme", PROGRAMMES), ("level", LEVELS)):
        for key in keys:
            f.add("activities", "activities_held", held[(dim, key)], dim, key)
    invites = conn.execute(select(Activity.kind, ActivityInvite.status, func.count())
                           .join(Activity, Activity.id == ActivityInvite.activity_id).where(in_year)
                           .group_by(Activity.kind, ActivityInvite.status)).all()
    f.add("activities", "activity_invitations", sum(n for _, _, n in invites))
    attended: Counter = Counter()
    for kind, status, n in invites:
        if status == "attended":
            attended[None] += n
            attended[kind] += n
    f.add("activities", "activity_attendances", attended[None])
    for kind in kinds:
        f.add("activities", "activity_attendances", attended[kind], "activity_kind", kind)
    f.add("activities", "monitoring_outputs", outputs[None])
    for kind in MONITORING_KINDS:
        f.add("activities", "monitoring_outputs", outputs[("activity_kind", kind)], "activity_kind", kind)
    forums = dict(conn.execute(select(Forum.borough, func.count()).group_by(Forum.borough)).all())
    f.add("activities", "forums", sum(forums.values()))
    for b in category_keys(BOROUGHS, forums):
        f.add("activities", "forums", forums.get(b, 0), "borough", b)
    f.add("activities", "forum_meetings", held[("activity_kind", "forum_meeting")])


def add_recruitment(f: Figures, conn: Connection, period: Period, cells: list[Cell]) -> None:
    in_year = Recruitment.interview_date.between(period.start, period.end)
    co_written = select(func.count(distinct(JdComment.recruitment_id))).join(
        Recruitment, Recruitment.id == JdComment.recruitment_id).where(in_year, JdComment.status == "accepted")
    by_people = and_(Question.proposed_by_person_id.is_not(None), in_year)
    contributed = select(func.count()).select_from(Question).join(
        Recruitment, Recruitment.id == Question.recruitment_id).where(by_people)
    used = select(func.count(distinct(QuestionUse.question_id))).select_from(QuestionUse).join(
        Question, Question.id == QuestionUse.question_id).join(
        Recruitment, Recruitment.id == QuestionUse.recruitment_id).where(by_people)
    trained = select(func.count(distinct(TrainingBooking.person_id))).join(
        TrainingSession, TrainingSession.id == TrainingBooking.session_id).where(
        TrainingBooking.status == "attended", TrainingSession.date.between(period.start, period.end))
    for metric, stmt in (("jds_co_written", co_written), ("questions_contributed", contributed),
                         ("questions_used", used), ("people_trained", trained)):
        f.add("recruitment", metric, int(conn.execute(stmt).scalar_one()))
    f.add("recruitment", "panel_days_paid",
          sum(c.claims for c in cells if c.kind == "interview_panel" and c.status == "paid"))


def add_support(f: Figures, conn: Connection, period: Period) -> None:
    needs = conn.execute(select(func.count()).select_from(UnmetNeed).where(
        UnmetNeed.recorded_on.between(period.start, period.end))).scalar_one()
    f.add("support", "unmet_needs", int(needs))
    pairs = conn.execute(select(func.count()).select_from(BuddyPair).where(
        BuddyPair.started_on <= period.end,
        or_(BuddyPair.ended_on.is_(None), BuddyPair.ended_on >= period.start))).scalar_one()
    f.add("support", "buddy_pairs", int(pairs))
    requests = dict(conn.execute(select(SupportRequest.status, func.count()).where(
        SupportRequest.requested_on.between(period.start, period.end)).group_by(SupportRequest.status)).all())
    f.add("support", "support_requests", sum(requests.values()))
    for s in SUPPORT_STATUSES:
        f.add("support", "support_requests", requests.get(s, 0), "status", s)


