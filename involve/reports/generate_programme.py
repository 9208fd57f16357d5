"""Generated involvement-programme data (for the data generator): the shipped Action Plan with
statuses and dated updates, user forums and members, activities of every kind with invitations,
attendance and monitoring outputs, buddy pairs, admin-support requests, unmet needs, and the
recruitment extras (job-description comments, questions proposed and used, panel training)."""

from __future__ import annotations

import random
import tomllib
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path

from sqlalchemy import func, insert, select

from involve.domain.claim_schema import ACTIVITY_KINDS
from involve.domain.programme import LEVELS, MONITORING_KINDS, PLAN_STATUSES, PROGRAMMES, SUPPORT_KINDS
from involve.reports.generate_rows import MAPPED, SERVICES
from models import (
    Activity,
    ActivityInvite,
    BuddyPair,
    Forum,
    ForumMember,
    JdComment,
    PanelMember,
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

PLAN = Path(__file__).resolve().parents[1] / "data" / "action-plan.toml"
TABLES = ("plan_actions", "plan_updates", "forums", "forum_members", "activities", "activity_invites",
          "buddy_pairs", "support_requests", "unmet_needs", "jd_comments", "questions", "question_uses",
          "training_sessions", "training_bookings")
STAFF = "coord@example.nhs.uk"


def _next(conn, column) -> int:
    return int(conn.execute(select(func.coalesce(func.max(column), 0))).scalar_one()) + 1


def _day(rng: random.Random, first: date, last: date) -> date:
    return first + timedelta(days=rng.randint(0, max(0, (last - first).days)))


def _at(day: date, hour: int = 12) -> datetime:
    return datetime.combine(day, time(hour, 0), UTC)


def insert_programme(conn, rng: random.Random, register: list[dict], first: date, last: date, n: int) -> int:
    """Insert about `n` activities and the rest of the programme; returns the activities made."""
    ids = [p["id"] for p in register]
    codes = _plan(conn, rng, first, last)
    forums = _forums(conn, rng, ids)
    made = _activities(conn, rng, ids, codes, forums, first, last, n)
    _support(conn, rng, ids, first, last, max(3, n // 2))
    _recruitment_extras(conn, rng, ids, first, last)
    return made


def _plan(conn, rng, first, last) -> list[str]:
    codes = list(conn.execute(select(PlanAction.code)).scalars())
    if not codes:
        actions = tomllib.loads(PLAN.read_text(encoding="utf-8"))["actions"]
        aid = _next(conn, PlanAction.id)
        conn.execute(insert(PlanAction.__table__), [
            {"id": aid + i, "code": a["id"], "position": i, "work_area": a["work_area"], "action": a["action"],
             "outcome": a.get("outcome", ""), "lead": a.get("lead", ""), "timescale": a.get("timescale", ""),
             "how_tracked": a.get("how_tracked", ""), "evidence_kinds": a.get("evidence_kinds", []),
             "status": rng.choice(PLAN_STATUSES),
             "created_at": _at(first), "updated_at": None} for i, a in enumerate(actions)])
        codes = [a["id"] for a in actions]
    action_ids = dict(conn.execute(select(PlanAction.code, PlanAction.id)).all())
    uid = _next(conn, PlanUpdate.id)
    updates = []
    for code in codes:
        for _ in range(rng.randint(0, 3)):
            day = _day(rng, first, last)
            updates.append({"id": uid + len(updates), "action_id": action_ids[code],
                            "status": rng.choice(PLAN_STATUSES),
                            "note": "Generated progress note", "evidence": None, "by": STAFF,
                            "at": _at(day, rng.choice((0, 9, 23)))})
    if updates:
        conn.execute(insert(PlanUpdate.__table__), updates)
    return codes


def _forums(conn, rng, ids) -> list[tuple[int, str]]:
    fid, mid = _next(conn, Forum.id), _next(conn, ForumMember.id)
    rows, members = [], []
    for i, borough in enumerate(MAPPED):
        rows.append({"id": fid + i, "reference": f"FRM-G{fid + i:04d}", "name": f"Generated forum {fid + i}",
                     "borough": borough, "service": rng.choice(SERVICES), "contact_email": STAFF,
                     "created_by": STAFF, "created_at": datetime.now(UTC)})
        for person in rng.sample(ids, min(len(ids), rng.randint(3, 8))):
            members.append({"id": mid + len(members), "forum_id": fid + i, "person_id": person,
                            "joined_at": datetime.now(UTC)})
    conn.execute(insert(Forum.__table__), rows)
    conn.execute(insert(ForumMember.__table__), members)
    return [(r["id"], r["borough"]) for r in rows]


def _activities(conn, rng, ids, codes, forums, first, last, n) -> int:
    aid, iid = _next(conn, Activity.id), _next(conn, ActivityInvite.id)
    kinds = [k for k in ACTIVITY_KINDS if k not in ("interview_panel", "training_received")]
    rows, invites = [], []
    for i in range(n):
        kind = rng.choice(kinds)
        day = _day(rng, first, last + timedelta(days=60))
        forum = rng.choice(forums) if kind == "forum_meeting" and rng.random() < 0.8 else None
        rows.append({
            "id": aid + i, "reference": f"ACT-G{aid + i:08d}", "kind": kind, "title": f"Generated {kind}",
            "date": day, "start": "10:00", "end": "12:30", "borough": forum[1] if forum else rng.choice(
                (*MAPPED, "trust_wide")), "service": rng.choice(SERVICES),
            "action_code": rng.choice(codes) if codes and rng.random() < 0.7 else None,
            "level": rng.choice(LEVELS) if kind == "governance" else None,
            "programme": rng.choice(PROGRAMMES) if kind == "staff_training" else None,
            "forum_id": forum[0] if forum else None,
            "output": "Generated findings" if kind in MONITORING_KINDS and day <= last and rng.random() < 0.8
            else None, "created_by": STAFF, "created_at": _at(day - timedelta(days=20))})
        for person in rng.sample(ids, min(len(ids), rng.randint(0, 5))):
            status = rng.choice(("attended", "attended", "declined", "accepted")) if day <= last \
                else rng.choice(("invited", "accepted", "declined"))
            invites.append({"id": iid + len(invites), "activity_id": aid + i, "person_id": person, "status": status,
                            "invited_at": _at(day - timedelta(days=20)), "responded_at": None,
                            "attended_at": _at(day, 13) if status == "attended" else None, "claim_reference": None})
    if rows:
        conn.execute(insert(Activity.__table__), rows)
    if invites:
        conn.execute(insert(ActivityInvite.__table__), invites)
    return len(rows)


def _support(conn, rng, ids, first, last, n) -> None:
    bid, sid, uid = _next(conn, BuddyPair.id), _next(conn, SupportRequest.id), _next(conn, UnmetNeed.id)
    pairs, requests, needs = [], [], []
    for i in range(n):
        buddy, person = rng.sample(ids, 2)
        start = _day(rng, first, last)
        end = start + timedelta(days=rng.randint(30, 400)) if rng.random() < 0.5 else None
        pairs.append({"id": bid + i, "buddy_person_id": buddy, "person_id": person, "started_on": start,
                      "ended_on": end, "created_by": STAFF, "created_at": _at(start)})
        day = _day(rng, first, last)
        requests.append({"id": sid + i, "person_id": rng.choice(ids), "kind": rng.choice(SUPPORT_KINDS),
                         "description": "Generated request",
                         "status": rng.choice(("open", "done", "done", "cancelled")),
                         "requested_on": day, "created_by": STAFF, "created_at": _at(day), "closed_at": None})
        day = _day(rng, first, last)
        needs.append({"id": uid + i, "description": "Generated unmet need", "service": rng.choice(SERVICES) or "Other",
                      "asked_by": None, "outcome": None, "recorded_on": day, "created_by": STAFF,
                      "created_at": _at(day)})
    conn.execute(insert(BuddyPair.__table__), pairs)
    conn.execute(insert(SupportRequest.__table__), requests)
    conn.execute(insert(UnmetNeed.__table__), needs)


def _recruitment_extras(conn, rng, ids, first, last) -> None:
    """JD comments and questions from panel members who attended; some questions used; panel training."""
    members = conn.execute(
        select(PanelMember.id, PanelMember.recruitment_id, PanelMember.person_id, Recruitment.staff_group)
        .join(Recruitment, Recruitment.id == PanelMember.recruitment_id)
        .where(PanelMember.status == "attended").order_by(PanelMember.id)).all()
    cid, qid, uid = _next(conn, JdComment.id), _next(conn, Question.id), _next(conn, QuestionUse.id)
    comments, questions, uses = [], [], []
    recs = [m.recruitment_id for m in members]
    for m in members:
        if rng.random() < 0.5:
            comments.append({"id": cid + len(comments), "recruitment_id": m.recruitment_id, "member_id": m.id,
                             "text": "Generated comment", "status": rng.choice(("accepted", "declined", "pending")),
                             "reason": None, "decided_by": None, "decided_at": None, "created_at": datetime.now(UTC)})
        if rng.random() < 0.6:
            q = qid + len(questions)
            questions.append({"id": q, "staff_group": m.staff_group, "text": "Generated question",
                              "proposed_by_person_id": m.person_id, "proposed_by_staff": None,
                              "recruitment_id": m.recruitment_id, "created_at": datetime.now(UTC)})
            for rec in ({m.recruitment_id, rng.choice(recs)} if rng.random() < 0.5 else ()):
                uses.append({"id": uid + len(uses), "question_id": q, "recruitment_id": rec, "marked_by": STAFF,
                             "marked_at": datetime.now(UTC)})
    for table, rows in ((JdComment, comments), (Question, questions), (QuestionUse, uses)):
        if rows:
            conn.execute(insert(table.__table__), rows)
    sid, bid = _next(conn, TrainingSession.id), _next(conn, TrainingBooking.id)
    sessions, bookings = [], []
    for i in range(max(1, (last - first).days // 90)):  # about one a quarter
        day = min(last, first + timedelta(days=90 * i + rng.randint(0, 89)))
        sessions.append({"id": sid + i, "date": day, "start": "10:00", "end": "13:00", "capacity": 8,
                         "title": "Interview panel training", "borough": "trust_wide", "created_by": STAFF,
                         "created_at": _at(day - timedelta(days=30))})
        for person in rng.sample(ids, min(len(ids), rng.randint(2, 8))):
            status = rng.choice(("attended", "attended", "booked"))
            bookings.append({"id": bid + len(bookings), "session_id": sid + i, "person_id": person,
                             "recruitment_id": None, "status": status, "booked_at": _at(day - timedelta(days=10)),
                             "attended_at": _at(day, 13) if status == "attended" else None, "claim_reference": None})
    conn.execute(insert(TrainingSession.__table__), sessions)
    if bookings:
        conn.execute(insert(TrainingBooking.__table__), bookings)
