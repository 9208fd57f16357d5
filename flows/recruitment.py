"""Flow: the recruitment-involvement wait, as scheduled checks over state kept in the database.

One run advances every open recruitment that is due (expire unanswered invitations, invite the
next candidates, book training or alert HR, send the job-description and questions requests and
the reminders). Nothing waits inside a flow run: a recruitment lasts weeks, so its state lives
in the database and each run is a short batch that can be repeated, interrupted or run on any
worker without losing or repeating a step. See docs/recruitment.md ("how the flow waits").

The embedded runner calls it when `recruitment_panel.due_count()` is above 0; in scale-out mode
the `recruitment-checks` deployment runs it on a schedule.
"""
from __future__ import annotations

from prefect import flow

from flows.drain import drain
from tasks.recruitment import advance_recruitments


@flow(name="recruitment-checks", persist_result=False)
async def recruitment_checks(batch_size: int = 100, max_batches: int = 50, everything: bool = False) -> dict:
    """Advance due open recruitments in batches until none is left (or max_batches ran); `everything`
    (tests, `involve recruitment check`) looks at every open recruitment once."""
    results = await drain(lambda n: advance_recruitments(n, everything), batch_size=batch_size,
                          max_batches=1 if everything else max_batches,
                          size=lambda done: done.get("recruitments", 0))
    totals: dict[str, int] = {}
    for done in results:
        for key, n in done.items():
            totals[key] = totals.get(key, 0) + n
    return totals
