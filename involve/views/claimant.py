"""What a claimant sees: their own claims (with history, receipts still needed, the expected payment
date) and their payments statement for a tax year. Reads only; never another person's claim."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from involve.db import reader
from involve.domain.claim_schema import LONDON
from involve.domain.statement import ZERO, split_payment, tax_year
from involve.errors import InvolveError, NotFound
from involve.services.receipts import OPEN_STATUSES, lines_needing_receipts, lines_taking_receipts
from involve.views.claims import claim_history
from models import Claim, ClaimQuestion, Payment, Person, Receipt, ReceiptFetch


@dataclass
class ClaimantClaim:
    claim: Claim
    history: list = field(default_factory=list)
    needing_receipts: list = field(default_factory=list)   # expense lines still needing a receipt
    taking_receipts: list = field(default_factory=list)    # lines a receipt may be sent for
    receipt_names: dict = field(default_factory=dict)      # line id -> [file names]
    question: ClaimQuestion | None = None                   # an open question, if any
    expected_payment: date | None = None
    paid_amount: Decimal | None = None

    @property
    def open(self) -> bool:
        return self.claim.status in OPEN_STATUSES


def _detail(s, c: Claim, *, history: bool) -> ClaimantClaim:
    from involve.services.claims import expected_payment_date

    names: dict[int, list[str]] = {}
    for line_id, name in s.execute(select(Receipt.line_id, Receipt.file_name).where(Receipt.claim_id == c.id)):
        names.setdefault(line_id, []).append(name)
    q = s.execute(select(ClaimQuestion).where(ClaimQuestion.claim_id == c.id, ClaimQuestion.answered_at.is_(None))
                  .order_by(ClaimQuestion.id.desc())).scalars().first()
    paid = s.execute(select(Payment.amount).where(Payment.claim_id == c.id)).scalar_one_or_none()
    return ClaimantClaim(
        c, claim_history(s, c.reference) if history else [],
        lines_needing_receipts(c) if c.status in OPEN_STATUSES else [],
        lines_taking_receipts(c) if c.status in OPEN_STATUSES else [], names, q,
        expected_payment_date(c.decided_at) if c.status == "approved" else None, paid)


def claims_of(email: str) -> list[ClaimantClaim]:
    """The person's claims, newest first."""
    with reader() as s:
        rows = s.execute(select(Claim).options(selectinload(Claim.expenses))
                         .where(Claim.claimant_email == email.strip().lower())
                         .order_by(Claim.id.desc())).scalars().all()
        return [_detail(s, c, history=False) for c in rows]


def claim_of(email: str, reference: str) -> ClaimantClaim:
    """One of the person's own claims with its timeline; another person's claim is NotFound."""
    with reader() as s:
        c = s.execute(select(Claim).options(selectinload(Claim.expenses))
                      .where(Claim.reference == reference.strip().upper())).scalar_one_or_none()
        if c is None or c.claimant_email != email.strip().lower():
            raise NotFound(f"no claim with reference {reference} for you")
        return _detail(s, c, history=True)


def claim_receipts(claim_id: int) -> list[dict]:
    """A claim's receipt files (no contents) for the staff claim page."""
    from involve.services.receipts import receipts_of

    with reader() as s:
        return [{"id": r.id, "line_id": r.line_id, "file_name": r.file_name, "size": r.size}
                for r in receipts_of(s, claim_id)]


def has_claims(email: str) -> bool:
    with reader() as s:
        return s.execute(select(Claim.id).where(Claim.claimant_email == email.strip().lower())
                         .limit(1)).first() is not None


@dataclass
class StatementLine:
    paid_on: date
    reference: str
    activity_title: str
    activity_date: date
    fee_paid: Decimal
    expenses_paid: Decimal
    total: Decimal


@dataclass
class Statement:
    email: str
    name: str
    tax_year: str
    start: date
    end: date
    lines: list[StatementLine]
    language: str | None = None        # the language they asked us to write in (register, else latest claim)
    reading_format: str | None = None  # standard, large_print, easy_read (or a register-only format)

    @property
    def fee_paid(self) -> Decimal:
        return sum((x.fee_paid for x in self.lines), ZERO)

    @property
    def expenses_paid(self) -> Decimal:
        return sum((x.expenses_paid for x in self.lines), ZERO)

    @property
    def total(self) -> Decimal:
        return self.fee_paid + self.expenses_paid


def statement(email: str, year: str) -> Statement:
    """Every payment to `email` recorded in the tax year `year` (6 April to 5 April, London dates)."""
    try:
        start, end = tax_year(year)
    except ValueError as exc:
        raise InvolveError(str(exc)) from None
    email = email.strip().lower()
    lines: list[StatementLine] = []
    name = ""
    with reader() as s:
        rows = s.execute(select(Payment, Claim).join(Claim, Claim.id == Payment.claim_id)
                         .where(Claim.claimant_email == email).order_by(Payment.recorded_at, Payment.id)).all()
        for pay, c in rows:
            paid_on = pay.recorded_at.astimezone(LONDON).date()
            if not start <= paid_on <= end:
                continue
            fee, expenses = split_payment(pay.amount, c.fee_amount, c.expenses_amount, c.expenses_only)
            lines.append(StatementLine(paid_on, c.reference, c.activity_title, c.activity_date, fee, expenses,
                                       pay.amount))
            name = c.claimant_name
        language, reading_format = _preferences(s, email)
    return Statement(email, name, year.strip(), start, end, lines, language, reading_format)


def _preferences(s, email: str) -> tuple[str | None, str | None]:
    """(language, format) a person asked for: their register entry's, else their latest claim's."""
    person = s.execute(select(Person.language, Person.preferred_format).where(Person.email == email)).first()
    claim = s.execute(select(Claim.claimant_language, Claim.claimant_format).where(Claim.claimant_email == email)
                      .order_by(Claim.id.desc()).limit(1)).first()
    language = (person and person.language) or (claim and claim.claimant_language) or None
    reading_format = (person and person.preferred_format) or (claim and claim.claimant_format) or None
    return language, reading_format


def statement_json(st: Statement) -> dict:
    return {"email": st.email, "tax_year": st.tax_year, "from": st.start.isoformat(), "to": st.end.isoformat(),
            "fee_paid": f"{st.fee_paid:.2f}", "expenses_paid": f"{st.expenses_paid:.2f}",
            "total_paid": f"{st.total:.2f}", "claims": len(st.lines),
            "payments": [{"paid_on": x.paid_on.isoformat(), "reference": x.reference,
                          "activity_date": x.activity_date.isoformat(), "fee_paid": f"{x.fee_paid:.2f}",
                          "expenses_paid": f"{x.expenses_paid:.2f}", "total": f"{x.total:.2f}"}
                         for x in st.lines]}


def claim_receipt_fetches(claim_id: int) -> list[dict]:
    """Receipt files a form provider holds for the claim's costs, as fetching left them (no URL: its host
    only), for the staff claim page."""
    from urllib.parse import urlsplit

    with reader() as s:
        rows = s.execute(select(ReceiptFetch).where(ReceiptFetch.claim_id == claim_id).order_by(ReceiptFetch.id))
        return [{"line_no": r.line_no, "state": r.state, "attempts": r.attempts, "last_error": r.last_error,
                 "host": urlsplit(r.url).hostname or "?"} for r in rows.scalars()]
