"""Asking again for payment details that never came, so no claim waits silently for its person.

A claim ready to pay (approved, or its payment returned) whose person must still give bank details
(none held, or they fail the bank's check: `payment_runs.PERSON_MUST_GIVE`) cannot go in a payment
run. Each day (the `approval-reminders` flow) `ask_again` looks at every such claim:

- while a `Payment details:` link for it still works, it waits: the person has the link;
- when the last link has expired, or none was ever sent, a fresh link is emailed, until the person
  has been asked `INVOLVE_PAYMENT_DETAILS_ASKS` times in all (the first email counts), so one ask
  follows another a link's life apart (`INVOLVE_LINK_MAX_AGE_DAYS`);
- when the last of those links has expired unanswered, the co-ordinators (else the PPI leads, else
  `INVOLVE_FINANCE_EMAIL`) are told, once, and the claim shows on the finance page as waiting.

A link the person used starts the count again (their details may fail later: a returned payment).
Staff may send a fresh link at any time (`ask_now`: `involve payments ask-details`, the finance page).
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from involve import audit, clock, links
from involve.db import unit_of_work
from involve.domain.dates import london_today
from involve.errors import InvolveError, NotAllowed, WrongState
from involve.mail.outbox import email_row, enqueue
from involve.services import payees as pay_details
from involve.services.claims import lock_claim
from involve.services.payment_runs import PAYABLE, PERSON_MUST_GIVE, bank_amount, usable_bank
from involve.services.people import preferences, require_staff, staff_roles
from involve.services.processing import claim_summary
from involve.settings import settings
from models import Claim, OutboxEmail

TOLD = "payment_details_unanswered"  # the co-ordinators' email


@dataclass(frozen=True)
class Asks:
    """The `Payment details:` links of one claim since its person last used one."""
    count: int
    works_until: datetime | None  # the newest link still working, if any
    last_sent: datetime | None


def asks(issued: list[links.Issued], now: datetime) -> Asks:
    used = [i.used_at for i in issued if i.used_at is not None]
    since = max(used) if used else None
    fresh = [i for i in issued if since is None or i.created_at > since]
    working = [i.expires_at for i in fresh if i.used_at is None and i.expires_at > now]
    return Asks(len(fresh), max(working) if working else None, fresh[-1].created_at if fresh else None)


def next_step(a: Asks, limit: int) -> str:
    """"wait" (a link still works), "ask" (send a fresh one) or "tell" (asked `limit` times: staff)."""
    if a.works_until is not None:
        return "wait"
    return "ask" if a.count < limit else "tell"


def waiting_on_person(session: Session, claims: list[Claim]) -> dict[str, str]:
    """Claim reference -> "missing" / "invalid", for the claims only their person can make payable."""
    found = pay_details.payees_by_email(session, {c.claimant_email for c in claims})
    out = {}
    for c in claims:
        bank, why = usable_bank(c, found.get(c.claimant_email))
        if bank is None and why in PERSON_MUST_GIVE:
            out[c.reference] = PERSON_MUST_GIVE[why]
    return out


def _ask_mail(session: Session, c: Claim, why: str, *, again: bool) -> dict:
    url, expires_on = pay_details.ask_link(session, c, clock.now())
    return email_row(template="payment_details", to=c.claimant_email, reference=c.reference,
                     context=dict(claim_summary(c), why=why, details_url=url, expires_on=expires_on, again=again),
                     dedupe_key=f"{c.reference}:payment-details:{why}:{clock.now():%Y%m%dT%H%M%S%f}",
                     **preferences(session, c))


def _recipients(session: Session, c: Claim) -> list[str]:
    staff = staff_roles(session)
    for role in ("coordinator", "ppi_lead"):
        found = sorted(e for e, roles in staff.items() if role in roles and e != c.claimant_email)
        if found:
            return found
    return [settings.finance_email]


def _told(session: Session, refs: list[str]) -> set[str]:
    """"REF:payment_details_unanswered:N" for each claim whose co-ordinators were told after N asks."""
    found: set[str] = set()
    for i in range(0, len(refs), 500):
        for key in session.execute(select(OutboxEmail.dedupe_key).where(
                OutboxEmail.template == TOLD, OutboxEmail.reference.in_(refs[i:i + 500]))).scalars():
            found.add(":".join((key or "").split(":")[:3]))
    return found


def _tell_mails(session: Session, c: Claim, a: Asks, why: str) -> list[dict]:
    ctx = {"reference": c.reference, "claimant_name": c.claimant_name, "status": c.status,
           "amount": f"{bank_amount(c):.2f}", "asked": a.count, "why": why,
           "last_asked": london_today(a.last_sent).isoformat() if a.last_sent else None,
           "claim_url": f"{settings.base_url.rstrip('/')}/staff/claims/{c.reference}"}
    return [email_row(template=TOLD, to=who, reference=c.reference, context=ctx,
                      dedupe_key=f"{c.reference}:{TOLD}:{a.count}:{who}") for who in _recipients(session, c)]


@dataclass(frozen=True)
class AskResult:
    asked: list[str]  # claims whose person got a fresh link
    told: list[str]   # claims the co-ordinators were told about


def ask_again(now: datetime | None = None) -> AskResult:
    """The daily pass over claims waiting for their person's payment details (see the module)."""
    now = now or clock.now()
    limit = max(1, settings.payment_details_asks)
    with unit_of_work() as session:
        claims = list(session.execute(select(Claim).where(Claim.status.in_(PAYABLE)).order_by(Claim.id)).scalars())
        waiting = waiting_on_person(session, claims)
        if not waiting:
            return AskResult([], [])
        issued = links.issued(session, action=pay_details.ASK_DETAILS, references=sorted(waiting))
        state = {ref: asks(issued.get(ref, []), now) for ref in waiting}
        told_before = _told(session, [ref for ref in waiting if next_step(state[ref], limit) == "tell"])
        mails, changes, asked, told = [], [], [], []
        for c in claims:
            why = waiting.get(c.reference)
            if why is None:
                continue
            a = state[c.reference]
            step = next_step(a, limit)
            if step == "ask":
                mails.append(_ask_mail(session, c, why, again=a.count > 0))
                changes.append(audit.Change("claim", c.reference, "ask_payment_details", audit.SYSTEM,
                                            data={"why": why, "ask": a.count + 1, "of": limit}))
                asked.append(c.reference)
            elif step == "tell" and f"{c.reference}:{TOLD}:{a.count}" not in told_before:
                rows = _tell_mails(session, c, a, why)
                mails += rows
                changes.append(audit.Change("claim", c.reference, TOLD, audit.SYSTEM,
                                            data={"asked": a.count, "to": sorted(r["to_addr"] for r in rows)}))
                told.append(c.reference)
        audit.record(session, changes)
        enqueue(session, mails)
        return AskResult(asked, told)


def ask_now(reference: str, *, by: str) -> str:
    """A member of staff (finance or a co-ordinator) sends the person a fresh `Payment details:` link."""
    with unit_of_work() as session:
        member = require_staff(session, by, "finance", "coordinator", doing="ask a person for payment details")
        claim = lock_claim(session, reference)
        if claim.status not in PAYABLE:
            raise WrongState(f"{claim.reference} is {claim.status}: only a claim waiting for payment needs "
                             "payment details now")
        if member.email == claim.claimant_email:
            raise NotAllowed(f"{member.email} cannot ask themselves for payment details")
        why = waiting_on_person(session, [claim]).get(claim.reference)
        if why is None:
            _bank, reason = usable_bank(claim, pay_details.payees_by_email(
                session, {claim.claimant_email}).get(claim.claimant_email))
            raise InvolveError(f"{claim.reference} does not wait for its person's payment details"
                               + (f": {reason}" if reason else ": it is ready to pay"))
        a = asks(links.issued(session, action=pay_details.ASK_DETAILS, references=[claim.reference])
                 .get(claim.reference, []), clock.now())
        # "the link we sent has expired" only when it has (a member of staff may send one before)
        enqueue(session, [_ask_mail(session, claim, why, again=a.count > 0 and a.works_until is None)])
        audit.record(session, [audit.Change("claim", claim.reference, "ask_payment_details", member.email,
                                            data={"why": why})])
        return claim.reference
