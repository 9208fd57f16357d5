"""Receipts a form provider holds (Typeform/Tally file-upload answers), fetched in the background.

When INVOLVE_RECEIPT_FETCH_HOSTS names hosts, intake (on the webhook's request path) only records the
file URLs: one `receipt_fetches` row per URL, in the claim's own transaction, and the cost's `receipt`
stays empty, so the cost counts as without a receipt until its file is here. The `fetch-receipts` flow
(flows/receipts.py; the embedded runner runs it before process-claims) then calls `fetch_batch`:

1. take the due rows (FOR UPDATE SKIP LOCKED on PostgreSQL) and lease them: `attempts` + 1 and `next_at`
   moved on by LEASE, so another worker leaves them alone and a crash only delays them;
2. fetch each file outside any transaction (involve/intake/fetch.py: https, allow-listed hosts, public
   addresses, no redirect elsewhere, timeouts, never more than 10 MB read) and check it exactly as an
   uploaded receipt is checked (involve/receipt_files.py: content, bombs, re-encoding);
3. keep it (involve/services/receipts.py: encrypted storage, at most 10 files a claim, the cost's
   `receipt_missing` cleared) in one transaction with the claim locked, or record why not: the row's
   `last_error` and an audit record `fetch_receipt_failed` (shown in the claim's history). A failure that
   may pass (no answer, 5xx, 404) is tried again, at most MAX_ATTEMPTS times in all; one that cannot
   (too big, not a receipt, a host not allowed) fails at once. The person's "received" email has its
   `Add receipts:` link whenever a cost still has no receipt when the claim is processed.

With no hosts configured nothing is queued: the URL stays the cost's receipt, as before.
"""
from __future__ import annotations

import logging
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import func, insert, select
from sqlalchemy.orm import Session

from involve import audit, clock, i18n, receipt_files
from involve.db import reader, unit_of_work
from involve.intake.fetch import FetchFailed, fetch
from involve.services import receipts
from involve.settings import settings
from models import Claim, ExpenseLine, Receipt, ReceiptFetch

log = logging.getLogger("involve.receipt_fetches")
PROVIDERS = ("typeform", "tally")
MAX_ATTEMPTS = 4
RETRY_AFTER = (timedelta(minutes=2), timedelta(minutes=15), timedelta(hours=2))  # after attempts 1, 2, 3
LEASE = timedelta(minutes=5)
PARALLEL = 4  # files fetched at once in a batch


@dataclass(frozen=True)
class BatchResult:
    fetched: int = 0
    failed: int = 0     # given up: the cost keeps receipt_missing
    retrying: int = 0   # failed this time, tried again later

    @property
    def handled(self) -> int:
        return self.fetched + self.failed + self.retrying


# ---- intake: what to fetch ------------------------------------------------------------------------

def enabled() -> bool:
    return bool(settings.receipt_fetch_hosts)


def urls_to_fetch(source: str, receipt: str | None) -> list[str]:
    """The file URLs of a provider claim's cost receipt (as `providers._file_urls` records them: URLs
    separated by spaces), when fetching is on; else []."""
    if source not in PROVIDERS or not receipt or not enabled():
        return []
    parts = receipt.split()
    return parts if parts and all(p.lower().startswith(("https://", "http://")) for p in parts) else []


def queue(session: Session, claim_id: int, source: str, receipts_by_line: dict[int, str | None]) -> int:
    """Inside intake's transaction: a row per file URL of the claim's costs ({line_no: receipt})."""
    now = clock.now()
    rows = [{"claim_id": claim_id, "line_no": line_no, "source": source, "url": url, "state": "waiting",
             "attempts": 0, "next_at": now, "created_at": now}
            for line_no, receipt in receipts_by_line.items() for url in urls_to_fetch(source, receipt)]
    if rows:
        session.execute(insert(ReceiptFetch.__table__), rows)
    return len(rows)


# ---- the flow's work -----------------------------------------------------------------------------

def due_count() -> int:
    """Rows due now (the runners' work check for `fetch-receipts`); 0 at once when fetching is off."""
    if not enabled():
        return 0
    with reader() as s:
        return s.execute(select(func.count()).select_from(ReceiptFetch).where(
            ReceiptFetch.state == "waiting", ReceiptFetch.next_at <= clock.now())).scalar_one()


@dataclass(frozen=True)
class _Job:
    id: int
    url: str
    source: str
    attempts: int


def _lease(limit: int) -> list[_Job]:
    now = clock.now()
    with unit_of_work() as session:
        rows = list(session.execute(
            select(ReceiptFetch).where(ReceiptFetch.state == "waiting", ReceiptFetch.next_at <= now)
            .order_by(ReceiptFetch.next_at, ReceiptFetch.id).limit(limit).with_for_update(skip_locked=True)).scalars())
        for r in rows:
            r.attempts += 1
            r.next_at = now + LEASE
        return [_Job(r.id, r.url, r.source, r.attempts) for r in rows]


def typeform_host(host: str) -> bool:
    """Hosts the Typeform token may be sent to: Typeform's own (api.typeform.com, api.eu.typeform.com)."""
    return host == "typeform.com" or host.endswith(".typeform.com")


def _bearer(job: _Job) -> str | None:
    """The Typeform personal token, for a Typeform answer's URL on a Typeform host (Tally's URLs are signed)."""
    from urllib.parse import urlsplit

    token = settings.typeform_token
    if token is None or job.source != "typeform" or not typeform_host((urlsplit(job.url).hostname or "").lower()):
        return None
    return token.get_secret_value()


def _get(job: _Job) -> receipt_files.CheckedFile | FetchFailed:
    """Fetch and check one file (no database): the checked file, or why not."""
    try:
        got = fetch(job.url, hosts=settings.receipt_fetch_host_set, max_bytes=receipt_files.MAX_BYTES,
                    bearer=_bearer(job))
    except FetchFailed as exc:
        return exc
    except Exception as exc:  # noqa: BLE001 - one odd file never stops the batch; tried again later
        return FetchFailed(f"the fetch failed unexpectedly ({type(exc).__name__})", retry=True)
    name = receipt_files.safe_name(got.name)
    try:
        with i18n.use("en"):  # the reason is for staff; the claim's history is in English
            return receipt_files.check(name, got.data)
    except receipt_files.FileRefused as exc:  # the reason without the file's name (audit keeps no names)
        first = str(exc).replace(name, "The file", 1).split(". ")[0].rstrip(".")  # not the advice to the person
        return FetchFailed(first + ".", retry=False)


def fetch_batch(limit: int = 10) -> BatchResult:
    """Fetch up to `limit` due files, keep those that pass, record the rest; returns the counts."""
    if not enabled():
        return BatchResult()
    jobs = _lease(limit)
    if not jobs:
        return BatchResult()
    with ThreadPoolExecutor(max_workers=min(PARALLEL, len(jobs)), thread_name_prefix="receipt-fetch") as pool:
        results = list(pool.map(_get, jobs))
    fetched = failed = retrying = 0
    for job, result in zip(jobs, results, strict=True):
        outcome = _record(job, result)
        fetched += outcome == "done"
        failed += outcome == "failed"
        retrying += outcome == "waiting"
    return BatchResult(fetched, failed, retrying)


def _record(job: _Job, result: receipt_files.CheckedFile | FetchFailed) -> str:
    """One transaction: keep the file against its cost, or record why not. Returns the row's state."""
    from involve.services.claims import lock_claim

    with unit_of_work() as session:
        row = session.get(ReceiptFetch, job.id)
        if row is None or row.state != "waiting":
            return row.state if row else "failed"
        reference = session.execute(select(Claim.reference).where(Claim.id == row.claim_id)).scalar_one()
        claim = lock_claim(session, reference)
        if isinstance(result, receipt_files.CheckedFile):
            result = _keep(session, claim, row, result)
            if result is None:
                return "done"
        return _failed(session, claim, row, result)


def _keep(session: Session, claim: Claim, row: ReceiptFetch,
          f: receipt_files.CheckedFile) -> FetchFailed | None:
    if claim.status not in receipts.OPEN_STATUSES:
        return FetchFailed("the claim was decided before the file arrived, so it was not kept", retry=False)
    line = session.execute(select(ExpenseLine).where(ExpenseLine.claim_id == claim.id,
                                                     ExpenseLine.line_no == row.line_no)).scalar_one_or_none()
    if line is None:
        return FetchFailed("the cost this file was for is no longer on the claim", retry=False)
    have = session.execute(select(func.count()).select_from(Receipt).where(Receipt.claim_id == claim.id)).scalar_one()
    if have >= receipt_files.MAX_FILES:
        return FetchFailed(f"the claim has {receipt_files.MAX_FILES} files already, the most one claim may have",
                           retry=False)
    receipts.add_claim_receipts(session, claim, {}, by=audit.SYSTEM, checked_files={line.id: [f]})
    row.state, row.finished_at, row.last_error = "done", clock.now(), None
    return None


def _cost(session: Session, claim: Claim, line_no: int) -> str:
    """The cost as staff name it, "Taxi, £12.50" (its kind and amount only: no description in the audit)."""
    from involve.mail.render import EXPENSE_TEXT

    line = session.execute(select(ExpenseLine).where(ExpenseLine.claim_id == claim.id,
                                                     ExpenseLine.line_no == line_no)).scalar_one_or_none()
    if line is None:
        return f"cost {line_no}"
    name = EXPENSE_TEXT.get(line.kind, line.kind)
    return f"{name}, £{line.claimed_amount:.2f}" if line.claimed_amount is not None else name


def _failed(session: Session, claim: Claim, row: ReceiptFetch, why: FetchFailed) -> str:
    again = why.retry and row.attempts < MAX_ATTEMPTS
    now = clock.now()
    if again:
        row.next_at = now + RETRY_AFTER[min(row.attempts, len(RETRY_AFTER)) - 1]
        note = f"attempt {row.attempts} of {MAX_ATTEMPTS}; trying again later"
    else:
        row.state, row.finished_at = "failed", now
        note = f"attempt {row.attempts}; not trying again: the person can send it with their Add receipts link"
    reason = f"Receipt for {_cost(session, claim, row.line_no)} not fetched: {why.reason} ({note})"[:300]
    row.last_error = why.reason[:300]
    audit.record(session, [audit.Change("claim", claim.reference, "fetch_receipt_failed", audit.SYSTEM,
                                        reason=reason, data={"line": row.line_no, "attempt": row.attempts,
                                                             "again": again})])
    log.info("receipt fetch for %s line %s: %s", claim.reference, row.line_no, reason)
    return row.state
