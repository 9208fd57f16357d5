"""Reminder digests: approvers who have not acted within the policy's approval_reminder_days get
one email a day listing every claim waiting on them (deduplicated per approver per day)."""
from __future__ import annotations

from collections import defaultdict
from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from involve import links
from involve.db import unit_of_work
from involve.domain.approval import ClaimFacts, waiting_on
from involve.domain.policy import load_policy
from involve.mail.outbox import email_row, enqueue
from involve.services.people import staff_roles
from models import Claim, OutboxEmail


def queue_digests(now: datetime | None = None) -> int:
    now = now or datetime.now(UTC)
    today = now.date()
    policy = load_policy()
    with unit_of_work() as session:
        staff = staff_roles(session)
        waiting = session.execute(select(Claim).where(
            Claim.status.in_(("awaiting_approval", "awaiting_second_approval"))).order_by(Claim.id)).scalars()
        per_approver: dict[str, list[Claim]] = defaultdict(list)
        for c in waiting:
            days = policy.period_for(c.activity_date).approval_reminder_days
            since = c.decided_at if c.status == "awaiting_second_approval" else c.processed_at
            if since is None or since > now - timedelta(days=days):
                continue
            for w in waiting_on(ClaimFacts.of(c), staff):
                per_approver[w].append(c)
        if not per_approver:
            return 0
        already = set(session.execute(select(OutboxEmail.dedupe_key).where(
            OutboxEmail.dedupe_key.in_([f"reminder:{w}:{today.isoformat()}" for w in per_approver]))).scalars())
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
