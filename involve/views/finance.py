"""Reading what finance works from: approved claims not yet paid, and the payment runs."""
from __future__ import annotations

from sqlalchemy import func, select

from involve.db import reader
from models import Claim, PaymentRun

FINANCE_PAGE = 200  # approved claims shown at once, oldest first (a payment run takes them all)


def approved_claims_and_runs(runs: int = 20, limit: int | None = None) -> tuple[list[Claim], list[PaymentRun]]:
    with reader() as s:
        claims = list(s.execute(select(Claim).where(Claim.status == "approved").order_by(Claim.id)
                                .limit(limit or FINANCE_PAGE)).scalars())
        recent = list(s.execute(select(PaymentRun).order_by(PaymentRun.id.desc()).limit(runs)).scalars())
    return claims, recent


def payment_run_file_name(run_id: int) -> str | None:
    with reader() as s:
        run = s.get(PaymentRun, run_id)
    return run.file_name if run is not None else None


def approved_count() -> int:
    """How many approved claims wait for payment (ix_claims_status_id: the index alone)."""
    with reader() as s:
        return s.scalar(select(func.count()).select_from(Claim).where(Claim.status == "approved")) or 0
