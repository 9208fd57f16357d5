"""Waiting claims: reminder digests, re-routing around absences, and escalation.

- Reminders: approvers who have not acted within the policy's approval_reminder_days get one email a
  day listing every claim waiting on them (deduplicated per approver per day); never someone away.
- Absences: a claim waiting on someone away today goes to whoever covers for them (their delegate);
  a named approver is replaced by the delegate, who gets the approval email (once per claim).
- Escalation: a claim waiting longer than the policy's escalate_after_days goes to every co-ordinator
  present (once per claim and co-ordinator).
Whom to ask is involve/domain/approval.py; this module only applies it to the claims waiting.
"""
from __future__ import annotations

from collections import defaultdict
from datetime import date, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from involve import audit, clock, links
from involve.db import unit_of_work
from involve.domain.approval import (
    APPROVER_ROLES,
    ClaimFacts,
    approvers_for,
    covering,
    escalation_recipients,
    second_approvers,
    waiting_on,
)
from involve.domain.policy import load_policy
from involve.mail.outbox import email_row, enqueue
from involve.services.people import staff_roles
from involve.services.processing import claim_summary
from involve.views.staff import away_today
from models import Claim, OutboxEmail

WAITING = ("awaiting_approval", "awaiting_second_approval")


def _waiting(session: Session) -> list[Claim]:
    return list(session.execute(select(Claim).where(Claim.status.in_(WAITING)).order_by(Claim.id)).scalars())


def _already(session: Session, keys: list[str]) -> set[str]:
    found: set[str] = set()
    for i in range(0, len(keys), 500):
        found |= set(session.execute(select(OutboxEmail.dedupe_key).where(
            OutboxEmail.dedupe_key.in_(keys[i:i + 500]))).scalars())
    return found


def _approval_mail(session: Session, c: Claim, who: str, key: str, **extra) -> dict:
    ctx = dict(claim_summary(c), approver=who, second=c.status == "awaiting_second_approval",
               approved_by=c.approved_by, **extra,
               approve_url=links.issue(session, action="approve", reference=c.reference, holder=who),
               reject_url=links.issue(session, action="reject", reference=c.reference, holder=who))
    return email_row(template="claim_approval", to=who, reference=c.reference, context=ctx, dedupe_key=key)


def _approval_key(c: Claim, who: str) -> str:
    step = "second-approval" if c.status == "awaiting_second_approval" else "approval"
    return f"{c.reference}:{step}:{who}"


def reroute_for_absences(session: Session, today: date) -> int:
    """Send claims waiting on someone away today to whoever covers for them; returns emails queued."""
    away = away_today(session, today)
    if not away:
        return 0
    staff = staff_roles(session)
    wanted: list[tuple[Claim, str, str | None]] = []  # (claim, recipient, covering for)
    changes = []
    for c in _waiting(session):
        facts = ClaimFacts.of(c)
        if c.status == "awaiting_approval" and c.approver_email:
            if c.approver_email not in away:
                continue
            who = covering(c.approver_email, away)
            if not who or who not in staff or not set(staff[who]) & set(APPROVER_ROLES) or who == c.claimant_email:
                continue  # nobody to cover: co-ordinators can still approve it; escalation reaches them
            changes.append(audit.Change("claim", c.reference, "reroute", audit.SYSTEM, data={
                "from": c.approver_email, "to": who, "why": "away"}))
            wanted.append((c, who, c.approver_email))
            c.approver_email = who
        else:
            targets = second_approvers(facts, staff, away) if c.status == "awaiting_second_approval" \
                else approvers_for(facts, staff, away)[0]
            wanted += [(c, who, None) for who in targets]
    sent = _already(session, [_approval_key(c, who) for c, who, _ in wanted])
    rows = [_approval_mail(session, c, who, _approval_key(c, who), covering_for=why)
            for c, who, why in wanted if _approval_key(c, who) not in sent]
    audit.record(session, changes)
    enqueue(session, rows)
    return len(rows)


def escalate(session: Session, now: datetime, staff, away) -> int:
    """Claims waiting longer than escalate_after_days go to every co-ordinator present (once each)."""
    policy = load_policy()
    wanted: list[tuple[Claim, str, int]] = []
    for c in _waiting(session):
        days = policy.escalate_days_for(c.activity_date)
        since = c.decided_at if c.status == "awaiting_second_approval" else c.processed_at
        if since is None or since > now - timedelta(days=days):
            continue
        wanted += [(c, who, days) for who in escalation_recipients(ClaimFacts.of(c), staff, away)]
    sent = _already(session, [f"{c.reference}:escalated:{who}" for c, who, _ in wanted])
    rows = [_approval_mail(session, c, who, f"{c.reference}:escalated:{who}", escalated_days=days)
            for c, who, days in wanted if f"{c.reference}:escalated:{who}" not in sent]
    if rows:
        audit.record(session, [audit.Change("claim", ref, "escalate", audit.SYSTEM, data={"to": sorted(tos)})
                               for ref, tos in _by_claim(rows).items()])
    enqueue(session, rows)
    return len(rows)


def _by_claim(rows: list[dict]) -> dict[str, set[str]]:
    out: dict[str, set[str]] = defaultdict(set)
    for r in rows:
        out[r["reference"]].add(r["to_addr"])
    return out


def queue_digests(now: datetime | None = None) -> int:
    """The daily pass: re-route around absences, escalate, then one reminder digest per approver."""
    now = now or clock.now()
    today = now.date()
    policy = load_policy()
    with unit_of_work() as session:
        reroute_for_absences(session, today)
        staff, away = staff_roles(session), away_today(session, today)
        escalate(session, now, staff, away)
        per_approver: dict[str, list[Claim]] = defaultdict(list)
        for c in _waiting(session):
            days = policy.period_for(c.activity_date).approval_reminder_days
            since = c.decided_at if c.status == "awaiting_second_approval" else c.processed_at
            if since is None or since > now - timedelta(days=days):
                continue
            for w in waiting_on(ClaimFacts.of(c), staff, away):
                per_approver[w].append(c)
        if not per_approver:
            return 0
        already = _already(session, [f"reminder:{w}:{today.isoformat()}" for w in per_approver])
        rows = []
        for who, claims in sorted(per_approver.items()):
            key = f"reminder:{who}:{today.isoformat()}"
            if key in already:
                continue
            items = [{"reference": c.reference, "activity_title": c.activity_title,
                      "activity_date": c.activity_date.isoformat(), "total_amount": f"{c.total_amount:.2f}",
                      "approve_url": links.issue(session, action="approve", reference=c.reference, holder=who),
                      "reject_url": links.issue(session, action="reject", reference=c.reference, holder=who)}
                     for c in claims]
            days = min(policy.period_for(c.activity_date).approval_reminder_days for c in claims)
            rows.append(email_row(template="approval_reminder", to=who, reference=claims[0].reference,
                                  context={"reference": claims[0].reference, "claims": items, "days": days},
                                  dedupe_key=key))
            for c in claims:
                c.last_reminded_on = today
        enqueue(session, rows)
        return len(rows)
