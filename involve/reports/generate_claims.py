"""Generated claims: dates across financial years (with some on 31 March / 1 April), every status,
late submissions flagged `late`, fees and expenses in whole pence, some approved expenses-only, and
rejection reasons (common ones, plus one-off texts)."""

from __future__ import annotations

import random
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal

from involve.reports.generate_rows import KINDS, REASONS, SERVICES, pick


def _money(pence: int) -> Decimal:
    return Decimal(pence) / 100


class ClaimMaker:
    """Claims spread over [first, last] with realistic statuses, lags, flags and amounts."""

    def __init__(
        self,
        rng: random.Random,
        register: list[dict],
        areas: list[tuple],
        first: date,
        last: date,
        now: datetime,
    ) -> None:
        self.rng, self.first, self.last, self.now = rng, first, last, now
        self.register = [(p["email"], p["name"], a) for p, a in zip(register, areas, strict=True)]
        self.cum = list(_cumulative([1 / (i + 1) ** 0.6 for i in range(len(register))]))
        self.days = (last - first).days

    def _date(self) -> date:
        rng = self.rng
        if rng.random() < 0.02:  # the year boundary: 31 March / 1 April
            year = rng.randint(self.first.year + 1, self.last.year)
            d = date(year, 3, 31) if rng.random() < 0.5 else date(year, 4, 1)
            if self.first <= d <= self.last:
                return d
        return self.first + timedelta(days=rng.randint(0, self.days))

    def claim(self, cid: int) -> dict:
        rng = self.rng
        email, name, boroughs = self.register[rng.choices(range(len(self.register)), cum_weights=self.cum)[0]]
        day = self._date()
        kind = pick(rng, KINDS.items())
        start = rng.randint(36, 60) * 15
        minutes = rng.randint(4, 24) * 15
        lag = (
            rng.randint(0, 30)
            if rng.random() < 0.9
            else (rng.randint(91, 150) if rng.random() < 0.6 else rng.randint(31, 90))
        )
        submitted = min(
            datetime.combine(day, time(20, 0), UTC) + timedelta(days=lag, minutes=rng.randint(0, 600)),
            self.now - timedelta(minutes=1),
        )
        fee_claimed = rng.random() < 0.92
        blocks = min(-(-minutes // 180), 3)
        fee = blocks * (4000 if kind == "interview_panel" else 2000) if fee_claimed else 0
        expenses = rng.randint(250, 6000) if rng.random() < 0.7 else 0
        status = self._status((self.now.date() - day).days)
        decided = submitted + timedelta(days=rng.randint(1, 21), hours=rng.randint(0, 8))
        paid_at = decided + timedelta(days=rng.randint(1, 35), hours=rng.randint(0, 8))
        if status == "paid" and paid_at > self.now:
            status = "approved"
        if status in ("approved", "rejected") and decided > self.now:
            status = "awaiting_approval"
        expenses_only = status in ("approved", "paid") and fee > 0 and rng.random() < 0.05
        reason = pick(rng, REASONS) if status == "rejected" else None
        return {
            "id": cid,
            "reference": f"CLM-G{cid:09d}",
            "status": status,
            "source": "generated",
            "submission_id": None,
            "claimant_name": name,
            "claimant_email": email,
            "activity_kind": kind,
            "activity_title": f"{kind.replace('_', ' ').capitalize()} activity",
            "activity_date": day,
            "activity_start": f"{start // 60:02d}:{start % 60:02d}",
            "activity_end": f"{(start + minutes) // 60:02d}:{(start + minutes) % 60:02d}",
            "borough": "trust_wide" if rng.random() < 0.12 else rng.choice(boroughs),
            "service": rng.choice(SERVICES),
            "lead_email": None,
            "activity_reference": None,
            "fee_claimed": fee_claimed,
            "payment_method": "bank_transfer",
            "bank_details_encrypted": None,
            "bank_details_masked": "******78",
            "fee_amount": None if status == "submitted" else _money(fee),
            "expenses_amount": None if status == "submitted" else _money(expenses),
            "total_amount": None if status == "submitted" else _money(fee + expenses),
            "flags": ["late"] if lag > 90 else [],
            "policy_period": None,
            "approver_email": None,
            "approved_by": "coordinator@example.nhs.uk" if status in ("approved", "paid") else None,
            "second_approved_by": None,
            "expenses_only": expenses_only,
            "approval_note": None,
            "rejection_reason": reason
            if reason
            else (f"Please claim again with the receipt (ref {cid})" if status == "rejected" else None),
            "submitted_at": submitted,
            "processed_at": None if status == "submitted" else submitted,
            "decided_at": decided if status in ("approved", "paid", "rejected") else None,
            "paid_at": paid_at if status == "paid" else None,
            "payment_run_id": None,
            "last_reminded_on": None,
            "anonymised_at": None,
        }

    def _status(self, age_days: int) -> str:
        if age_days > 75:
            weights = (
                ("paid", 78),
                ("rejected", 7),
                ("approved", 4),
                ("awaiting_approval", 5),
                ("awaiting_second_approval", 1),
                ("submitted", 5),
            )
        else:
            weights = (
                ("paid", 30),
                ("rejected", 6),
                ("approved", 20),
                ("awaiting_approval", 30),
                ("awaiting_second_approval", 4),
                ("submitted", 10),
            )
        return pick(self.rng, weights)


def _cumulative(weights: list[float]):
    total = 0.0
    for w in weights:
        total += w
        yield total
