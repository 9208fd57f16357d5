"""Process submitted claims in batches: amounts, flags, approver, emails, audit — short transactions.

A batch reads everything it needs in a handful of queries (claims, lines, register, staff,
overlapping claims, that week's fees), decides in memory with the pure domain rules, then
writes with executemany. On PostgreSQL the batch's rows are taken with FOR UPDATE SKIP LOCKED,
so two workers never process the same claim.
"""
from __future__ import annotations

import logging
import time
from collections import defaultdict
from datetime import UTC, datetime
from decimal import Decimal

from sqlalchemy import bindparam, select, update
from sqlalchemy.orm import Session

from involve import audit, clock, faults, links
from involve.db import get_engine, reader, unit_of_work, write_lock_contended
from involve.domain import amounts as amt
from involve.domain.approval import ClaimFacts, approvers_for
from involve.domain.flags import NO_APPROVER, SET_ASIDE, FlagFacts, flags_for, needs_receipt, times_overlap
from involve.domain.policy import Policy, load_policy
from involve.domain.text import printable
from involve.domain.transitions import next_status
from involve.errors import InvolveError
from involve.mail.outbox import email_row, enqueue
from involve.services import budgets, payees
from involve.services.people import staff_roles
from involve.services.processing_reads import (
    _LINES_OF,
    _PEOPLE_BY_EMAIL,
    WAITING,
    _one_worker_per_claimant,
    _others,
    _prepare,
    _take_submitted,
    week_of,
)
from involve.settings import settings
from involve.views.staff import away_today
from models import Claim, ExpenseLine

log = logging.getLogger("involve.processing")
RECEIPT_DAYS = 60  # the Add receipts link lasts this long (and only until the claim is decided)


_UPDATE_CLAIM = update(Claim.__table__).where(Claim.__table__.c.id == bindparam("_id"))
_UPDATE_LINE = update(ExpenseLine.__table__).where(ExpenseLine.__table__.c.id == bindparam("_id"))


WRITE_CHUNK = 25     # claims per write transaction (each holds SQLite's one write lock while it runs)
# ... while nobody has waited for the lock lately (SQLite): larger, as each chunk has its own reads,
# statements and commit. Measured (bench/proc_chunks.py, 4,000 claims): 0.51 -> 0.41 ms of CPU a claim,
# a batch of 500 in 300 -> 209 ms; the lock held 11 -> 35 ms a chunk, and the first chunk after intake
# waits is small again. On PostgreSQL (no one write lock) chunks stay WRITE_CHUNK.
QUIET_CHUNK = 100
CHUNK_PAUSE = 0.002  # seconds between them: a writer polling for the lock (intake, involve.db) gets in
# While intake (people waiting on an answer) keeps finding the write lock taken, the runner pauses
# YIELD_FACTOR times its last chunk's own time before the next, so it holds the lock about a tenth of
# the time and leaves the cores to the web app; the backlog is processed once intake is quiet.
# Measured (docs/performance.md, issue 17 section 3): intake on serve 477-669 -> 660-844 req/s, p99
# 78-100 -> 40-64 ms. At idle nothing waits, so the pause stays CHUNK_PAUSE.
YIELD_FACTOR = 9
MAX_PAUSE = 0.25        # seconds: the longest pause, so claims still move (25 at least every quarter second)
CONTENDED_WITHIN = 0.5  # seconds: how recent a wait for the lock counts as "intake is busy"


def _pause(chunk_seconds: float) -> float:
    """How long to wait before the next chunk, given how long the last one took."""
    if write_lock_contended(CONTENDED_WITHIN):
        return min(MAX_PAUSE, max(CHUNK_PAUSE, YIELD_FACTOR * chunk_seconds))
    return CHUNK_PAUSE


def _routing() -> tuple[dict[str, frozenset[str]], dict[str, str | None]]:
    """Active staff and who is away today, read once for a whole `process_batch` call (no write lock)."""
    with reader() as session:
        return staff_roles(session), away_today(session, clock.now().date())


def _chunk_size(chunk: int, quiet_chunk: int) -> int:
    """Claims in the next write transaction: `chunk` while intake waits for SQLite's lock (or on
    PostgreSQL), else `quiet_chunk`."""
    if quiet_chunk <= chunk or write_lock_contended(CONTENDED_WITHIN) or get_engine().dialect.name != "sqlite":
        return chunk
    return quiet_chunk


def process_batch(*, limit: int = 500, policy: Policy | None = None, chunk: int = WRITE_CHUNK,
                  quiet_chunk: int = QUIET_CHUNK) -> list[str]:
    """Move up to `limit` submitted claims to awaiting_approval; returns their references.

    In transactions of at most `chunk` claims, each a whole batch on its own (read, decide, write,
    commit: a chunk sees the claims the chunks before it committed, as a later batch does;
    `quiet_chunk` claims while nobody waits for SQLite's lock: `_chunk_size`). One
    transaction of 500 held SQLite's write lock for 0.2-0.4 s (seconds on a loaded machine), and
    intake in serve's web process waited that long for it: p99 0.2-1.1 s. A chunk of 25 holds it a few
    milliseconds, and between chunks intake's waiting commit goes first; while intake is busy the pause
    between chunks grows (`_pause`).

    Staff roles, who is away today and the policy are read once per call, not per chunk: no chunk
    writes them, and the old single transaction of 500 read them once too. A change committed while a
    call runs (a role, an absence) applies from the next call, as it did when it waited for the 500's
    commit: the chunks' decisions are those of a batch that committed just before the change. What a
    chunk writes or what earlier chunks change (claims, their fees and overlaps, payee records,
    budgets' spend) is still read inside each chunk's own transaction."""
    policy = policy or load_policy()
    staff, away = _routing()
    refs: list[str] = []
    taken = 0
    last = 0.0
    while taken < limit:
        if taken:
            time.sleep(_pause(last))
        want = min(_chunk_size(chunk, quiet_chunk), limit - taken)
        started = time.monotonic()
        n, done = _process_chunk(want, policy, staff, away, _prepare(want))
        last = time.monotonic() - started
        taken += n
        refs.extend(done)
        if n < want:
            break
    return refs


def _process_chunk(limit: int, policy: Policy, staff: dict[str, frozenset[str]],
                   away: dict[str, str | None], decrypted: dict | None = None) -> tuple[int, list[str]]:
    """One transaction: up to `limit` claims; (how many it took, the references it moved on).
    `staff`, `away`: read once by `process_batch` (see there why that is safe); `decrypted`: payment
    details by ciphertext (`_prepare`)."""
    decrypted = decrypted or {}
    with unit_of_work() as session:
        batch = _take_submitted(session, limit)
        if not batch:
            return 0, []
        ids = [c.id for c in batch]
        lines: dict[int, list] = defaultdict(list)
        for line in session.execute(_LINES_OF, {"ids": ids}):
            lines[line.claim_id].append(line)
        emails = {c.claimant_email for c in batch}
        _one_worker_per_claimant(session, emails)
        people = {p.email: p for p in session.execute(_PEOPLE_BY_EMAIL, {"emails": list(emails)})}
        others = _others(session, emails, {c.activity_date for c in batch})
        by_person: dict[str, list] = defaultdict(list)
        for o in others:
            by_person[o.claimant_email].append(o)
        fees_this_batch: dict[int, Decimal] = {}
        now = datetime.now(UTC)
        # finance: the batch's payee records and budgets, read once (involve/services/payees.py, budgets.py)
        payee_records = payees.payees_by_email(session, emails, lock=True)
        charger = budgets.BudgetCharger(session, batch, policy)
        claim_updates, line_updates, changes, mails, link_rows = [], [], [], [], []

        def link(action: str, reference: str, who: str, days: int | None = None) -> str:
            row, url = links.new_link(action=action, reference=reference, holder=who, days=days)
            link_rows.append(row)
            return url

        def decide(c) -> None:
            """Work out one claim; appends to the batch's lists only at the end (nothing partial)."""
            period = policy.period_for(c.activity_date)
            minutes = _minutes(c.activity_start, c.activity_end)
            cl = lines[c.id]
            result = amt.compute(kind=c.activity_kind, minutes=minutes, fee_claimed=c.fee_claimed, period=period,
                                 fee_requested=c.fee_requested,
                                 lines=[amt.LineIn(x.kind, x.claimed_amount, x.miles, x.passengers, x.vehicle,
                                                   x.receipt) for x in cl])
            person = people.get(c.claimant_email)
            wk = week_of(c.activity_date)
            overlap, other_fees = False, Decimal("0.00")
            for o in by_person[c.claimant_email]:
                if o.id == c.id:
                    continue
                if o.id < c.id and o.activity_date == c.activity_date and \
                        times_overlap(c.activity_start, c.activity_end, o.activity_start, o.activity_end):
                    overlap = True
                if wk[0] <= o.activity_date <= wk[1] and not o.expenses_only:
                    fee = fees_this_batch.get(o.id, o.fee_amount)
                    if fee is not None and (o.status != "submitted" or o.id in fees_this_batch):
                        other_fees += fee
            fees_this_batch[c.id] = result.fee
            facts = FlagFacts(
                activity_date=c.activity_date, submitted_on=c.submitted_at.astimezone(UTC).date(),
                claimed_lines=tuple((x.kind, x.claimed_amount, x.receipt) for x in cl),
                fee=result.fee, total=result.total, in_register=person is not None,
                overlaps_other_claim=overlap,
                weekly_limit=person.weekly_earnings_limit if person else None, other_fees_that_week=other_fees)
            flags = flags_for(facts, period)
            approver_list, named = approvers_for(ClaimFacts.of(c), staff, away)
            if not approver_list:  # nobody may approve it: flagged and the co-ordinators told, never silent
                flags = [*flags, NO_APPROVER]
                mails.extend(_alerts(staff, c, "claim_no_approver", {}))
            to_status = next_status("process", c.status, reference=c.reference)
            summary = claim_summary(c, fee=result.fee, expenses=result.expenses, total=result.total, flags=flags)
            # how to write to them: their register entry's language and format, else the claim's
            prefs = {"language": (person.language if person else None) or c.claimant_language,
                     "reading_format": (person.preferred_format if person else None) or c.claimant_format}
            paying = payees.apply_claim(session, c, payee_records, expenses=result.expenses, summary=summary,
                                        now=now, prefs=prefs, details=decrypted.get(c.bank_details_encrypted))
            cost_centre, over = charger.charge(c, result.total)
            flags = [*flags, *paying.flags, *(["over_budget"] if over else [])]
            mails.extend(paying.mails)
            link_rows.extend(paying.link_rows)
            changes.extend(paying.changes)
            claim_updates.append({"_id": c.id, "status": to_status, "fee_amount": result.fee,
                                  "expenses_amount": result.expenses, "total_amount": result.total,
                                  "flags": flags, "policy_period": period.effective_from.isoformat(),
                                  "approver_email": named, "processed_at": now, "cost_centre": cost_centre})
            line_updates.extend({"_id": x.id, "amount": a} for x, a in zip(cl, result.lines, strict=True))
            changes.append(audit.Change("claim", c.reference, "process", audit.SYSTEM, c.status, to_status,
                                        data={"fee": str(result.fee), "expenses": str(result.expenses),
                                              "total": str(result.total), "flags": flags,
                                              "approvers": approver_list}))
            summary = claim_summary(c, fee=result.fee, expenses=result.expenses, total=result.total, flags=flags)
            missing = [line_label(x) for x in cl if needs_receipt(x.kind, x.claimed_amount, x.receipt, period)]
            received = dict(summary, receipts_needed=missing, late="late" in flags,
                            deadline_days=period.claim_deadline_days, decide_days=period.approval_reminder_days,
                            payment_days=settings.payment_days)
            if person is not None and person.active:  # in the register: their own page can be asked for
                received["your_details_url"] = f"{settings.base_url.rstrip('/')}/your-details"
            if missing:
                received["receipts_url"] = link("add_receipts", c.reference, c.claimant_email, days=RECEIPT_DAYS)
            mails.append(email_row(template="claim_received", to=c.claimant_email, reference=c.reference,
                                   context=received, dedupe_key=f"{c.reference}:received",
                                   **prefs))
            for who in approver_list:
                ctx = dict(summary, approver=who, receipts_needed=missing,
                           approve_url=link("approve", c.reference, who),
                           reject_url=link("reject", c.reference, who))
                mails.append(email_row(template="claim_approval", to=who, reference=c.reference, context=ctx,
                                       dedupe_key=f"{c.reference}:approval:{who}"))

        lists = (claim_updates, line_updates, changes, mails, link_rows)
        set_aside: list[tuple[object, str]] = []
        for c in batch:
            marks = [len(x) for x in lists]
            try:
                decide(c)
            except Exception as exc:  # noqa: BLE001 - one claim that cannot be processed never stops the rest
                for x, n in zip(lists, marks, strict=True):
                    del x[n:]
                fees_this_batch.pop(c.id, None)
                set_aside.append((c, why_not(exc)))
        if set_aside:
            _set_aside(session, set_aside, staff, changes, mails)
        if not claim_updates:
            audit.record(session, changes)
            enqueue(session, mails)
            return len(batch), []
        # Core executemany by primary key (the ORM bulk path costs several times more Python per row)
        session.execute(_UPDATE_CLAIM, claim_updates)
        if line_updates:
            session.execute(_UPDATE_LINE, line_updates)
        links.store_links(session, link_rows)
        audit.record(session, changes)
        enqueue(session, mails)
        faults.point("process.before_commit")
    faults.point("process.after_commit")
    held = {c.id for c, _ in set_aside}
    return len(batch), [c.reference for c in batch if c.id not in held]


def why_not(exc: Exception) -> str:
    """The reason a claim was set aside, as one plain line (no traceback, no personal data)."""
    text = printable(str(exc)).strip() or type(exc).__name__
    return (text if isinstance(exc, InvolveError) else f"{type(exc).__name__}: {text}")[:500]


def _alerts(staff: dict, c, template: str, extra: dict, key: str = "") -> list[dict]:
    """Alert emails about claim `c` to the co-ordinators (else the PPI leads), never to the claimant."""
    to = sorted(e for e, roles in staff.items() if "coordinator" in roles and e != c.claimant_email) or \
        sorted(e for e, roles in staff.items() if "ppi_lead" in roles and e != c.claimant_email)
    ctx = {"reference": c.reference, "activity_date": c.activity_date.isoformat(), "source": c.source, **extra}
    return [email_row(template=template, to=who, reference=c.reference, context=ctx,
                      dedupe_key=f"{c.reference}:{template}{key}:{who}") for who in to]


def _set_aside(session: Session, held: list[tuple[object, str]], staff: dict, changes: list, mails: list) -> None:
    """Flag each claim `cannot_process` with its reason (it stays submitted, out of later batches
    until a person deals with it), audit it and alert the co-ordinators."""
    session.execute(_UPDATE_CLAIM, [{"_id": c.id, "flags": [*(c.flags or []), SET_ASIDE], "hold_reason": reason}
                                    for c, reason in held])
    for c, reason in held:
        log.warning("claim %s set aside: %s", c.reference, reason)
        changes.append(audit.Change("claim", c.reference, "set_aside", audit.SYSTEM, c.status, c.status,
                                    reason=reason))
        # set aside again after a release: a new alert (the key names this time)
        mails.extend(_alerts(staff, c, "claim_set_aside", {"reason": reason},
                             key=f"@{datetime.now(UTC):%Y%m%dT%H%M%S%f}"))


def line_label(x: ExpenseLine) -> str:
    """A cost as people name it: "Taxi, £12.50" (emails and pages name the line, never a code)."""
    from involve.mail.render import EXPENSE_TEXT

    name = EXPENSE_TEXT.get(x.kind, x.kind)
    if x.kind == "other" and x.description:
        name = f"{name} ({x.description[:60]})"
    return f"{name}, £{x.claimed_amount:.2f}" if x.claimed_amount is not None else name


def claim_summary(c: Claim, *, fee: Decimal | None = None, expenses: Decimal | None = None,
                  total: Decimal | None = None, flags: list[str] | None = None) -> dict:
    """What emails may say about a claim: no bank details, nothing about health."""
    fee = c.fee_amount if fee is None else fee
    expenses = c.expenses_amount if expenses is None else expenses
    total = c.total_amount if total is None else total
    return {"reference": c.reference, "claimant_name": c.claimant_name, "activity_title": c.activity_title,
            "activity_kind": c.activity_kind, "activity_date": c.activity_date.isoformat(),
            "activity_start": c.activity_start, "activity_end": c.activity_end, "borough": c.borough,
            "fee_amount": _money(fee), "expenses_amount": _money(expenses), "total_amount": _money(total),
            "flags": list(flags if flags is not None else c.flags or []), "payment_method": c.payment_method,
            "bank_masked": c.bank_details_masked}


def _money(v: Decimal | None) -> str | None:
    return None if v is None else f"{v:.2f}"


def _minutes(start: str, end: str) -> int:
    sh, sm = map(int, start.split(":"))
    eh, em = map(int, end.split(":"))
    return (eh * 60 + em) - (sh * 60 + sm)


def claims_waiting() -> bool:
    """Is any claim waiting to be processed (submitted, not set aside)? One index lookup."""
    with reader() as s:
        return s.execute(select(Claim.id).where(*WAITING).limit(1)).first() is not None


def count_submitted() -> int:
    from sqlalchemy import func

    with reader() as s:
        return s.execute(select(func.count()).select_from(Claim).where(Claim.status == "submitted")).scalar_one()
