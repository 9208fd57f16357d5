"""Reading what finance works from: approved claims not yet paid, and the payment runs."""
from __future__ import annotations

from sqlalchemy import select

from involve.db import reader
from models import Claim, PaymentRun


def approved_claims_and_runs(runs: int = 20) -> tuple[list[Claim], list[PaymentRun]]:
    with reader() as s:
        claims = list(s.execute(select(Claim).where(Claim.status == "approved").order_by(Claim.id)).scalars())
        recent = list(s.execute(select(PaymentRun).order_by(PaymentRun.id.desc()).limit(runs)).scalars())
    return claims, recent


def payment_run_file_name(run_id: int) -> str | None:
    with reader() as s:
        run = s.get(PaymentRun, run_id)
    return run.file_name if run is not None else None
