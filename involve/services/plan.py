"""The Action Plan: load a plan file, read actions with their updates, record progress.

`load` checks the whole file first (involve.domain.programme.parse_plan): a duplicate id or any
bad row refuses it and nothing is written. Loading again updates each action's texts and keeps
its status and updates. Every change is audited (entity "plan", the action id as reference).
"""
from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from involve import audit
from involve.db import reader, unit_of_work
from involve.domain.programme import MAX_TEXT, parse_plan, plan_status
from involve.errors import InvolveError, NotFound
from involve.services.people import require_staff
from models import PlanAction, PlanUpdate

PLAN_ROLES = ("coordinator", "ppi_lead", "admin")
TEXTS = ("work_area", "action", "outcome", "lead", "timescale", "how_tracked")


def load(path: Path, *, by: str) -> dict:
    """Load (or reload) the plan in `path`; returns {"added": n, "updated": n, "actions": n}."""
    try:
        text = Path(path).read_text(encoding="utf-8")
    except UnicodeDecodeError:
        raise InvolveError(f"{path}: not a UTF-8 text file") from None
    actions = parse_plan(text, source=str(path))
    with unit_of_work() as session:
        by = require_staff(session, by, *PLAN_ROLES, doing="load the action plan").email
        existing = {a.code: a for a in session.execute(select(PlanAction)).scalars()}
        added = updated = 0
        now = datetime.now(UTC)
        for position, a in enumerate(actions):
            row = existing.get(a.code)
            if row is None:
                session.add(PlanAction(code=a.code, position=position, status=a.status, created_at=now,
                                       **{k: getattr(a, k) for k in TEXTS}))
                added += 1
            else:
                changed = [k for k in TEXTS if getattr(row, k) != getattr(a, k)] + \
                    (["position"] if row.position != position else [])
                for k in TEXTS:
                    setattr(row, k, getattr(a, k))
                row.position = position
                if changed:
                    row.updated_at = now
                    updated += 1
        session.flush()
        audit.record(session, [audit.Change("plan", "PLAN", "load", by, data={
            "file": Path(path).name, "actions": len(actions), "added": added, "updated": updated})])
    return {"actions": len(actions), "added": added, "updated": updated}


def _action(session: Session, code: str, *, lock: bool = False) -> PlanAction:
    stmt = select(PlanAction).where(PlanAction.code == code.strip())
    if lock and session.get_bind().dialect.name != "sqlite":
        stmt = stmt.with_for_update()
    row = session.execute(stmt).scalar_one_or_none()
    if row is None:
        raise NotFound(f"no action {code!r} in the action plan")
    return row


def update(code: str, *, status: str, note: str, by: str, evidence: str | None = None) -> dict:
    """A dated progress update: the action's new status and a note (required)."""
    status = plan_status(status)
    note = (note or "").strip()
    if not note:
        raise InvolveError("a note is required: say what has happened")
    if len(note) > MAX_TEXT or len(evidence or "") > MAX_TEXT:
        raise InvolveError(f"the note is too long (at most {MAX_TEXT} characters)")
    with unit_of_work() as session:
        by = require_staff(session, by, *PLAN_ROLES, doing="update the action plan").email
        row = _action(session, code, lock=True)
        before, row.status, row.updated_at = row.status, status, datetime.now(UTC)
        session.add(PlanUpdate(action_id=row.id, status=status, note=note, evidence=(evidence or "").strip() or None,
                               by=by, at=row.updated_at))
        session.flush()
        audit.record(session, [audit.Change("plan", row.code, "update", by, before, status)])
        return as_dict(session, row)


def as_dict(session: Session, row: PlanAction) -> dict:
    updates = session.execute(select(PlanUpdate).where(PlanUpdate.action_id == row.id)
                              .order_by(PlanUpdate.at, PlanUpdate.id)).scalars()
    return {"id": row.code, "work_area": row.work_area, "action": row.action, "outcome": row.outcome,
            "lead": row.lead, "timescale": row.timescale, "how_tracked": row.how_tracked, "status": row.status,
            "updates": [{"at": u.at.isoformat(), "status": u.status, "note": u.note, "evidence": u.evidence,
                         "by": u.by} for u in updates]}


def actions() -> list[dict]:
    """Every action in plan order, with its updates (oldest first)."""
    with reader() as session:
        rows = session.execute(select(PlanAction).order_by(PlanAction.position, PlanAction.code)).scalars().all()
        return [as_dict(session, r) for r in rows]


def action(code: str) -> dict:
    with reader() as session:
        return as_dict(session, _action(session, code))


def count() -> int:
    with reader() as session:
        return int(session.execute(select(func.count()).select_from(PlanAction)).scalar_one())
