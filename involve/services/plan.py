"""The Action Plan: load a plan file, record progress (reads: involve/views/programme.py).

`load` checks the whole file first (involve.domain.programme.parse_plan): a duplicate id or any
bad row refuses it and nothing is written. Loading again updates each action's texts and keeps
its status and updates. Every change is audited (entity "plan", the action id as reference).
"""
from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from involve import audit
from involve.db import unit_of_work
from involve.domain.programme import PROGRAMME_ROLES, free_text, parse_plan, plan_status
from involve.errors import InvolveError, NotFound
from involve.services.people import require_staff
from involve.views.programme import action_json
from models import PlanAction, PlanUpdate

TEXTS = ("work_area", "action", "outcome", "lead", "timescale", "how_tracked", "evidence_kinds")


def load(path: Path, *, by: str) -> dict:
    """Load (or reload) the plan in `path`; returns {"added": n, "updated": n, "actions": n}."""
    try:
        text = Path(path).read_text(encoding="utf-8")
    except UnicodeDecodeError:
        raise InvolveError(f"{path}: not a UTF-8 text file") from None
    actions = parse_plan(text, source=str(path))
    with unit_of_work() as session:
        by = require_staff(session, by, *PROGRAMME_ROLES, doing="load the action plan").email
        existing = {a.code: a for a in session.execute(select(PlanAction)).scalars()}
        added = updated = 0
        now = datetime.now(UTC)
        for position, a in enumerate(actions):
            row = existing.get(a.code)
            if row is None:
                session.add(PlanAction(code=a.code, position=position, status=a.status, created_at=now,
                                       **{k: _value(a, k) for k in TEXTS}))
                added += 1
            else:
                changed = [k for k in TEXTS if getattr(row, k) != _value(a, k)] + \
                    (["position"] if row.position != position else [])
                for k in TEXTS:
                    setattr(row, k, _value(a, k))
                row.position = position
                if changed:
                    row.updated_at = now
                    updated += 1
        session.flush()
        audit.record(session, [audit.Change("plan", "PLAN", "load", by, data={
            "file": Path(path).name, "actions": len(actions), "added": added, "updated": updated})])
    return {"actions": len(actions), "added": added, "updated": updated}


def _value(a, key: str):
    value = getattr(a, key)
    return list(value) if isinstance(value, tuple) else value


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
    if not (note or "").strip():
        raise InvolveError("a note is required: say what has happened")
    note = free_text(note, "the note")
    evidence = free_text(evidence, "the evidence", required=False)
    with unit_of_work() as session:
        by = require_staff(session, by, *PROGRAMME_ROLES, doing="update the action plan").email
        row = _action(session, code, lock=True)
        before, row.status, row.updated_at = row.status, status, datetime.now(UTC)
        session.add(PlanUpdate(action_id=row.id, status=status, note=note, evidence=(evidence or "").strip() or None,
                               by=by, at=row.updated_at))
        session.flush()
        audit.record(session, [audit.Change("plan", row.code, "update", by, before, status)])
        return action_json(session, row)
