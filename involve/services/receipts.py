"""Receipts: files people send for their costs, on the claim form or later through their
`Add receipts:` / `Reply:` links. Each call is one transaction: every file of the request is kept, or
none (a refused file names itself and nothing else changes).

Files are checked (involve.receipt_files) before the transaction begins, stored encrypted (involve.storage),
and a cost's `receipt_missing` clears as soon as its receipt arrives.
"""
from __future__ import annotations

import hashlib
from dataclasses import dataclass

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from involve import audit, receipt_files, storage
from involve.db import reader, unit_of_work
from involve.domain.approval import ClaimFacts as Facts
from involve.domain.approval import allowed_actions
from involve.domain.flags import needs_receipt, receipt_wanted
from involve.domain.languages import N_, Message
from involve.domain.policy import load_policy
from involve.errors import NotAllowed, NotFound, WrongState
from involve.receipt_files import FileRefused
from involve.services.people import actor
from models import Claim, ExpenseLine, Receipt, ReceiptFetch

OPEN_STATUSES = ("awaiting_confirmation", "submitted", "awaiting_approval", "awaiting_second_approval",
                 "needs_information")  # receipts are welcome until the claim is decided


@dataclass(frozen=True)
class Upload:
    """A file as it came in: the name the person's device gave it and its bytes."""
    name: str
    data: bytes


def checked(uploads: list[Upload], *, already: int = 0) -> list[receipt_files.CheckedFile]:
    """Check every file (content, size) and the count; the first refusal is raised, naming its file."""
    uploads = [u for u in uploads if u.data or u.name]
    if already + len(uploads) > receipt_files.MAX_FILES:
        if already:
            raise FileRefused(Message(N_("You can send %(max)s files at most for one claim (you have sent %(n)s "
                                         "already)."), max=receipt_files.MAX_FILES, n=already))
        raise FileRefused(Message(N_("You can send %(max)s files at most for one claim."),
                                  max=receipt_files.MAX_FILES))
    return [receipt_files.check(u.name, u.data) for u in uploads]


def _store(session: Session, f: receipt_files.CheckedFile, **where) -> Receipt:
    key = storage.store().put(session, f.data)
    row = Receipt(file_name=f.name, content_type=f.content_type, size=len(f.data),
                  sha256=hashlib.sha256(f.data).hexdigest(), storage_key=key, **where)
    session.add(row)
    return row


# ---- on the form, before the claim exists -----------------------------------------------------------

def form_receipt_count(form_session: str) -> int:
    with reader() as s:
        return s.execute(select(func.count()).select_from(Receipt)
                         .where(Receipt.form_session == form_session, Receipt.claim_id.is_(None))).scalar_one()


def form_receipts(form_session: str) -> dict[str, list[str]]:
    """{cost: [file names]} kept so far for a form session."""
    out: dict[str, list[str]] = {}
    with reader() as s:
        for cost, name in s.execute(select(Receipt.cost, Receipt.file_name).where(
                Receipt.form_session == form_session, Receipt.claim_id.is_(None)).order_by(Receipt.id)):
            out.setdefault(cost, []).append(name)
    return out


def add_form_receipts(form_session: str, by_cost: dict[str, list[Upload]]) -> int:
    """Keep the form's files per cost; all or nothing. Returns how many were kept."""
    already = form_receipt_count(form_session)
    flat = [(cost, u) for cost, ups in by_cost.items() for u in ups if u.data or u.name]
    good = checked([u for _, u in flat], already=already)
    with unit_of_work() as session:
        for (cost, _), f in zip(flat, good, strict=True):
            _store(session, f, form_session=form_session, cost=cost)
    return len(good)


def drop_form_receipts(form_session: str, cost: str) -> None:
    with unit_of_work() as session:
        for r in session.execute(select(Receipt).where(Receipt.form_session == form_session,
                                                       Receipt.cost == cost, Receipt.claim_id.is_(None))).scalars():
            storage.remove(session, r.storage_key)
            session.delete(r)


def attach_form_receipts(form_session: str, reference: str, line_costs: list[str]) -> None:
    """After the form's claim is stored: its files join the claim's lines (line i has cost line_costs[i])."""
    with unit_of_work() as session:
        claim = session.execute(select(Claim).where(Claim.reference == reference)).scalar_one()
        lines = {cost: line for cost, line in zip(line_costs, claim.expenses, strict=False)}
        rows = list(session.execute(select(Receipt).where(Receipt.form_session == form_session,
                                                          Receipt.claim_id.is_(None))).scalars())
        for r in rows:
            line = lines.get(r.cost)
            if line is None:  # the person took that cost off after sending its file after sending its file
                storage.remove(session, r.storage_key)
                session.delete(r)
                continue
            r.claim_id, r.line_id = claim.id, line.id
            if not line.receipt:
                line.receipt = f"uploaded: {r.file_name}"[:300]
        if rows:
            _refresh_flag(session, claim)
            audit.record(session, [audit.Change("claim", reference, "add_receipts", claim.claimant_email,
                                                data={"files": len(rows)})])


# ---- later, through the person's link ----------------------------------------------------------------

def lines_needing_receipts(claim: Claim) -> list[ExpenseLine]:
    period = load_policy().period_for(claim.activity_date)
    return [x for x in claim.expenses if needs_receipt(x.kind, x.claimed_amount, x.receipt, period)]


def lines_taking_receipts(claim: Claim) -> list[ExpenseLine]:
    """The costs a person may send a receipt for: those over the limit, given one or not."""
    period = load_policy().period_for(claim.activity_date)
    return [x for x in claim.expenses if receipt_wanted(x.kind, x.claimed_amount, period)]


def _refresh_flag(session: Session, claim: Claim) -> None:
    if claim.status == "submitted":
        return  # processing sets the flags from the lines
    flags = [f for f in (claim.flags or []) if f != "receipt_missing"]
    if lines_needing_receipts(claim):
        flags.append("receipt_missing")
    if flags != list(claim.flags or []):
        claim.flags = flags


def add_claim_receipts(session: Session, claim: Claim, by_line: dict[int, list[Upload]], *, by: str,
                       checked_files: dict[int, list[receipt_files.CheckedFile]] | None = None) -> int:
    """Inside the caller's transaction (the Add receipts and Reply pages): store the files against the
    claim's lines, clear `receipt_missing` where it no longer applies, audit. Returns the count."""
    if claim.status not in OPEN_STATUSES:
        raise WrongState(f"{claim.reference} is already decided, so receipts can no longer be added to it")
    lines = {x.id: x for x in claim.expenses}
    if any(line_id not in lines for line_id in (*by_line, *(checked_files or {}))):
        raise NotFound("that cost is not part of this claim")
    if checked_files is None:
        already = session.execute(select(func.count()).select_from(Receipt)
                                  .where(Receipt.claim_id == claim.id)).scalar_one()
        flat = [(i, u) for i, ups in by_line.items() for u in ups]
        good = checked([u for _, u in flat], already=already)
        checked_files = {}
        for (i, _), f in zip(flat, good, strict=True):
            checked_files.setdefault(i, []).append(f)
    count = 0
    for line_id, fs in checked_files.items():
        for f in fs:
            _store(session, f, claim_id=claim.id, line_id=line_id)
            lines[line_id].receipt = f"uploaded: {f.name}"[:300]
            count += 1
    if count:
        before = list(claim.flags or [])
        _refresh_flag(session, claim)
        audit.record(session, [audit.Change("claim", claim.reference, "add_receipts", by,
                                            data={"files": count, "flags_before": before,
                                                  "flags": list(claim.flags or [])})])
    return count


def receipt_count(session: Session, claim_id: int) -> int:
    return session.execute(select(func.count()).select_from(Receipt).where(Receipt.claim_id == claim_id)).scalar_one()


def remove_receipts(session: Session, claim_ids: list[int]) -> int:
    """Retention: the claims' receipt files and their rows go, with any provider file URLs still
    recorded for fetching (the payment record stays)."""
    rows = list(session.execute(select(Receipt).where(Receipt.claim_id.in_(claim_ids))).scalars())
    for r in rows:
        storage.remove(session, r.storage_key)
        session.delete(r)
    session.execute(delete(ReceiptFetch).where(ReceiptFetch.claim_id.in_(claim_ids)))
    return len(rows)


# ---- staff viewing ---------------------------------------------------------------------------------------

def receipts_of(session: Session, claim_id: int) -> list[Receipt]:
    return list(session.execute(select(Receipt).where(Receipt.claim_id == claim_id).order_by(Receipt.id)).scalars())


def open_receipt(receipt_id: int, *, viewer: str) -> tuple[Receipt, bytes]:
    """A receipt's file, for a member of staff who may act on its claim (approve, reject, ask or pay),
    or a co-ordinator; NotAllowed otherwise."""
    with reader() as s:
        r = s.get(Receipt, receipt_id)
        if r is None or r.claim_id is None:
            raise NotFound("no such receipt")
        claim = s.get(Claim, r.claim_id)
        who = actor(s, viewer)
        if not (allowed_actions(who, Facts.of(claim)) or who.has("coordinator")):
            raise NotAllowed(f"{who.email} may not see the receipts of {claim.reference}")
        data = storage.read(s, r.storage_key)
        s.expunge(r)
        return r, data


def add_receipts(reference: str, by_line: dict[int, list[Upload]], *, claimant: str,
                 signed_link: str | None = None) -> int:
    """The person adds receipts to their own claim (their `Add receipts:` link, or signed in to "Your
    claims"). The link is not used up: it works until the claim is decided."""
    from involve import links
    from involve.services.claims import lock_claim

    by_line = {k: v for k, v in by_line.items() if v}
    if not by_line:
        raise FileRefused(N_("Choose a photo or PDF of a receipt to send."))
    with reader() as s:
        claim = s.execute(select(Claim).where(Claim.reference == reference)).scalar_one_or_none()
        already = receipt_count(s, claim.id) if claim else 0
    flat = [(i, u) for i, ups in by_line.items() for u in ups]
    good = checked([u for _, u in flat], already=already)
    files_by_line: dict[int, list[receipt_files.CheckedFile]] = {}
    for (i, _), f in zip(flat, good, strict=True):
        files_by_line.setdefault(i, []).append(f)
    with unit_of_work() as session:
        if signed_link is not None:
            token = links.load(session, signed_link)
            if token.action != "add_receipts" or token.reference != reference:
                raise NotAllowed("this link is for a different claim")
        claim = lock_claim(session, reference)
        if claim.claimant_email != claimant:
            raise NotFound(f"no claim with reference {reference} for you")
        return add_claim_receipts(session, claim, by_line, by=claim.claimant_email, checked_files=files_by_line)
