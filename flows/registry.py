"""Every flow of involve, in one table: which flow, its deployment name, its schedule, its concurrency
limit and its "is there work waiting" check.

Both runners read it (involve/runner.py): the embedded runner runs each flow when work is waiting
and each scheduled flow on its schedule (the same cron, in Europe/London time, that Prefect uses for
the deployments); the deployment hand-off creates runs of the deployments named here. `prefect.yaml`
must say the same (tests/unit/test_flow_registry.py compares them), and `involve flows list` prints
it. To add a flow: write `flows/<name>.py` (calling its work through a task in `tasks/`), add one
`Flow(...)` here and the matching deployment to `prefect.yaml`.
"""
from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from involve.domain.dates import TIMEZONE


@dataclass(frozen=True)
class Flow:
    name: str                         # the flow's name = its deployment's name in prefect.yaml
    entrypoint: str                   # "flows/claims.py:process_claims", as in prefect.yaml
    description: str
    tags: tuple[str, ...]
    cron: str | None = None           # a cron schedule (timezone below) ...
    interval: int | None = None       # ... or an interval in seconds (a sweep for work the hand-off missed)
    timezone: str = TIMEZONE
    concurrency_limit: int | None = None   # at most this many runs at once (collision: cancel the new one)
    work: str | None = None           # "module:function" counting the work waiting; the runners run it then
    parameters: dict = field(default_factory=dict)  # deployment parameters
    share: int | None = None          # work one run takes on: the hand-off starts ceil(work / share) runs
    embedded: dict = field(default_factory=dict)  # parameters the embedded runner (one flow at a time) passes

    @property
    def deployment(self) -> str:
        """"flow-name/deployment-name", as Prefect names a deployment."""
        return f"{self.name}/{self.name}"

    def load(self):
        """The flow object (imports its module)."""
        path, _, attr = self.entrypoint.partition(":")
        return getattr(importlib.import_module(path.removesuffix(".py").replace("/", ".")), attr)

    def work_waiting(self) -> Callable[[], int] | None:
        if self.work is None:
            return None
        module, _, attr = self.work.partition(":")
        return getattr(importlib.import_module(module), attr)

    def next_run(self, after: datetime) -> datetime | None:
        """The first scheduled time after `after`, as Prefect's scheduler computes it for the deployment."""
        import asyncio

        try:
            asyncio.get_running_loop()
        except RuntimeError:
            return asyncio.run(self.next_run_async(after))
        raise RuntimeError("inside an event loop, await next_run_async()")

    async def next_run_async(self, after: datetime) -> datetime | None:
        from prefect.server.schemas.schedules import CronSchedule, IntervalSchedule

        if self.cron:
            schedule = CronSchedule(cron=self.cron, timezone=self.timezone)
        elif self.interval:
            anchor = after.astimezone(UTC).replace(second=0, microsecond=0)
            schedule = IntervalSchedule(interval=timedelta(seconds=self.interval), anchor_date=anchor,
                                        timezone=self.timezone)
        else:
            return None
        dates = await schedule.get_dates(n=1, start=after + timedelta(microseconds=1))
        return datetime.fromtimestamp(dates[0].timestamp(), UTC) if dates else None


EVERY_MINUTE = 60

# In the order the embedded runner checks them each cycle: fetch-receipts before process-claims (a
# provider's receipt file that arrives at once is usually there when its claim is processed); deliver-outbox
# last, so the emails the others queue go out in the same cycle.
REGISTRY: tuple[Flow, ...] = (
    Flow("fetch-receipts", "flows/receipts.py:fetch_receipts",
         "Fetch Typeform/Tally receipt files when INVOLVE_RECEIPT_FETCH_HOSTS allows (sweep, every minute).",
         ("involve", "claims"), interval=EVERY_MINUTE, work="involve.services.receipt_fetches:due_count"),
    Flow("process-claims", "flows/claims.py:process_claims",
         "Move submitted claims to awaiting_approval in batches (claims sweep, every minute).",
         ("involve", "claims"), interval=EVERY_MINUTE, work="involve.services.processing:count_submitted",
         parameters={"deliver": True}, share=500),
    Flow("recruitment-checks", "flows/recruitment.py:recruitment_checks",
         "Advance every due open recruitment (invitations, training, requests, reminders).",
         ("involve", "recruitment"), interval=EVERY_MINUTE, work="involve.services.recruitment_panel:due_count"),
    Flow("approval-reminders", "flows/reminders.py:approval_reminders",
         "Queue the daily approval-reminder digests; ask again for missing payment details.",
         ("involve", "email"), cron="0 8 * * *", concurrency_limit=1),
    Flow("retention", "flows/retention.py:retention",
         "Anonymise claims and register entries past their retention period (monthly).",
         ("involve", "retention"), cron="0 2 1 * *", concurrency_limit=1),
    Flow("forum-report", "flows/reports.py:forum_report",
         "The monthly payments report for the User Forum (1st of each month, for the month before).",
         ("involve", "reports"), cron="0 7 1 * *", concurrency_limit=1),
    Flow("audit-anchor", "flows/audit.py:audit_anchor",
         "Sign the audit chain head daily, into the anchor file and to the auditor's mailbox.",
         ("involve", "audit"), cron="30 0 * * *", concurrency_limit=1),
    Flow("deliver-outbox", "flows/outbox.py:deliver_outbox",
         "Send due emails from the outbox (outbox sweep, every minute).",
         ("involve", "email"), interval=EVERY_MINUTE, work="involve.services.delivery:pending_count",
         share=100, embedded={"give_way_to_claims": True}),
)

BY_NAME = {f.name: f for f in REGISTRY}


def scheduled() -> list[Flow]:
    """Flows that run on a calendar (cron), not only when work is waiting."""
    return [f for f in REGISTRY if f.cron]


def with_work() -> list[Flow]:
    """Flows that run when their work check counts something (the hand-off and the embedded runner)."""
    return [f for f in REGISTRY if f.work]
