"""The canonical claim (shared/spec/examples/claim.json): strict Pydantic models.

Unknown fields are rejected so a typo never silently drops money. Money and miles are decimal
strings ("6.80"), never floats. `parse_claim` turns every validation problem into an
`InvalidClaim` whose `errors` list names each field by its dotted path.
"""
from __future__ import annotations

import re
from datetime import date, datetime, time
from decimal import Decimal, InvalidOperation
from typing import Annotated, Literal

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    ValidationError,
    ValidationInfo,
    WithJsonSchema,
    field_validator,
    model_validator,
)

from involve.domain import text as tx
from involve.domain.dates import LONDON
from involve.domain.emails import canonical_email
from involve.domain.languages import language_tag, reading_format
from involve.errors import InvalidClaim

ACTIVITY_KINDS = ("meeting", "interview_panel", "consultation", "training_delivery", "training_received", "other",
                  "forum_meeting", "ward_visit", "survey", "cpa_audit", "staff_training", "governance")
BOROUGHS = ("barking_dagenham", "havering", "redbridge", "waltham_forest", "trust_wide")
EXPENSE_KINDS = ("public_transport", "mileage", "taxi", "parking", "carer", "childcare", "subsistence",
                 "support", "other")
MAX_LINE = Decimal("500.00")


def _decimal_string(places: int):
    def parse(v):
        if isinstance(v, bool) or isinstance(v, float):
            raise ValueError('must be a decimal string such as "6.80", not a number')
        if isinstance(v, int):
            v = str(v)
        if not isinstance(v, str) or not re.fullmatch(rf"[0-9]{{1,6}}(\.[0-9]{{1,{places}}})?", v.strip()):
            raise ValueError(f'must be a decimal string such as "6.80" (at most {places} decimal places)')
        try:
            return Decimal(v.strip())
        except InvalidOperation:
            raise ValueError("is not a number") from None
    return parse


def _decimal_schema(example: str) -> WithJsonSchema:
    """What the OpenAPI says: a decimal string (never a JSON number, which the server refuses)."""
    return WithJsonSchema({"type": "string", "pattern": r"^[0-9]{1,6}(\.[0-9]{1,2})?$", "examples": [example],
                           "description": 'a decimal string such as "6.80"; a JSON number is refused'})


Money = Annotated[Decimal, BeforeValidator(_decimal_string(2)), _decimal_schema("6.80")]
Miles = Annotated[Decimal, BeforeValidator(_decimal_string(2)), _decimal_schema("12.5")]


def _email(v):
    """The canonical address (involve.domain.emails): the address alone, lower-cased."""
    return canonical_email(v)


def _hhmm(v):
    if not isinstance(v, str) or not re.fullmatch(r"([01]\d|2[0-3]):[0-5]\d", v):
        raise ValueError("must be a time HH:MM (24-hour)")
    return v


def _iso_date(v):
    if isinstance(v, date):
        return v
    if not isinstance(v, str) or not re.fullmatch(r"\d{4}-\d{2}-\d{2}", v):
        raise ValueError("must be a date YYYY-MM-DD")
    try:
        return date.fromisoformat(v)
    except ValueError:
        raise ValueError("is not a real date") from None


Email = Annotated[str, BeforeValidator(_email)]
HHMM = Annotated[str, BeforeValidator(_hhmm)]
IsoDate = Annotated[date, BeforeValidator(_iso_date)]


def line(max_length: int, min_length: int = 0):
    """A one-line text field (involve.domain.text): no control, line-break or bidi characters, at
    most `max_length` characters (the column size)."""
    return Annotated[str, BeforeValidator(tx.one_line), Field(min_length=min_length, max_length=max_length)]


Name = line(tx.NAME_MAX, 1)
Title = line(tx.TITLE_MAX, 1)


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class Claimant(Strict):
    name: Name
    email: Email
    language: Annotated[str, BeforeValidator(language_tag)] | None = None  # BCP 47: emails in this language
    format: Annotated[str, BeforeValidator(reading_format)] | None = None  # standard, large_print, easy_read


class Activity(Strict):
    kind: Literal[ACTIVITY_KINDS]  # type: ignore[valid-type]
    title: Title
    date: IsoDate
    start: HHMM
    end: HHMM
    borough: Literal[BOROUGHS]  # type: ignore[valid-type]
    service: line(tx.SERVICE_MAX) | None = None
    lead_email: Email | None = None
    reference: line(tx.ACTIVITY_REFERENCE_MAX) | None = None

    @model_validator(mode="after")
    def _times(self):
        start, end = time.fromisoformat(self.start), time.fromisoformat(self.end)
        if end <= start:
            raise ValueError("end: must be after start (the same day)")
        minutes = (end.hour * 60 + end.minute) - (start.hour * 60 + start.minute)
        if minutes > 12 * 60:
            raise ValueError("end: an activity may last at most 12 hours")
        if self.date > datetime.now(LONDON).date():
            raise ValueError("date: may not be in the future")
        return self

    @property
    def minutes(self) -> int:
        s, e = time.fromisoformat(self.start), time.fromisoformat(self.end)
        return (e.hour * 60 + e.minute) - (s.hour * 60 + s.minute)


StrictBool = Annotated[bool, Field(strict=True)]


class Fee(Strict):
    claimed: StrictBool


class Expense(Strict):
    kind: Literal[EXPENSE_KINDS]  # type: ignore[valid-type]
    amount: Money | None = None
    miles: Miles | None = None
    passengers: Annotated[int, Field(ge=0, le=8, strict=True)] = 0
    vehicle: Literal["car", "bicycle"] | None = None
    description: line(tx.DESCRIPTION_MAX) | None = None
    receipt: line(tx.RECEIPT_MAX) | None = None

    @model_validator(mode="after")
    def _shape(self):
        if self.kind == "mileage":
            if self.miles is None or self.miles <= 0:
                raise ValueError("miles: a mileage line needs miles above 0")
            if self.miles > 1000:
                raise ValueError("miles: at most 1000 miles a line")
            if self.vehicle is None:
                raise ValueError("vehicle: a mileage line needs vehicle 'car' or 'bicycle'")
            if self.amount is not None:
                raise ValueError("amount: mileage is worked out from miles; leave amount out")
            if self.vehicle == "bicycle" and self.passengers:
                raise ValueError("passengers: a bicycle carries no passengers")
        else:
            if self.amount is None:
                raise ValueError("amount: this expense needs an amount")
            if self.amount <= 0:
                raise ValueError("amount: must be more than 0.00")
            if self.amount > MAX_LINE:
                raise ValueError("amount: at most 500.00 a line")
            if self.miles is not None or self.vehicle is not None or self.passengers:
                raise ValueError("miles: only mileage lines have miles, vehicle or passengers")
        return self


def _ni_number(v):
    from involve.domain.bank import ni_number_valid, normalise_ni_number

    if v is None:
        return None
    if not isinstance(v, str) or not ni_number_valid(v):
        raise ValueError("must be a National Insurance number such as QQ123456C (two letters, six digits, "
                         "A, B, C or D)")
    return normalise_ni_number(v)


class Payment(Strict):
    method: Literal["bank_transfer", "payroll", "voucher"]
    account_name: line(tx.ACCOUNT_NAME_MAX, 1) | None = None
    sort_code: Annotated[str, Field(pattern=r"^\d{2}-\d{2}-\d{2}$")] | None = None
    account_number: Annotated[str, Field(pattern=r"^\d{8}$")] | None = None
    # payroll: the fee goes through payroll (NI number, payroll reference), expenses by bank
    ni_number: Annotated[str | None, BeforeValidator(_ni_number)] = None
    payroll_reference: Annotated[str, Field(min_length=1, max_length=40, pattern=r"^[A-Za-z0-9/\-]+$")] | None = None

    @model_validator(mode="after")
    def _bank(self):
        if self.method != "payroll" and (self.ni_number or self.payroll_reference):
            raise ValueError("ni_number: only a payroll payment carries an NI number or payroll reference")
        given = [self.account_name, self.sort_code, self.account_number]
        if self.method == "bank_transfer" and not all(given):
            missing = [n for n, v in zip(("account_name", "sort_code", "account_number"), given, strict=True)
                       if not v]
            raise ValueError(f"{missing[0]}: bank transfer needs account_name, sort_code and account_number")
        if any(given) and not all(given):
            raise ValueError("account_number: give all of account_name, sort_code and account_number, or none")
        return self

    @property
    def has_bank_details(self) -> bool:
        return bool(self.account_number)


class ClaimIn(Strict):
    submission_id: line(tx.SUBMISSION_ID_MAX, 1) | None = None
    claimant: Claimant
    activity: Activity
    fee: Fee
    expenses: Annotated[list[Expense], Field(max_length=30)] = []
    payment: Payment | None = None
    declaration: StrictBool

    @field_validator("declaration")
    @classmethod
    def _declared(cls, v: bool, info: ValidationInfo) -> bool:
        if v is not True and not (info.context or {}).get("prepared"):
            raise ValueError("you must confirm the declaration is true")
        return v

    @model_validator(mode="after")
    def _fee_or_expenses(self):
        if not self.fee.claimed and not self.expenses:
            raise ValueError("expenses: a claim without the fee needs at least one expense")
        return self


def _field_path(err: dict) -> tuple[str, str]:
    loc = [str(p) for p in err.get("loc", ()) if not str(p).startswith("function-")]
    # drop pydantic's tagged-union noise such as 'literal[...]'
    loc = [p for p in loc if not p.startswith(("literal[", "constrained-"))]
    msg = err.get("msg", "is not valid").removeprefix("Value error, ")
    # validators that name their own field: "end: must be after start"
    m = re.match(r"^([a-z_]+): (.*)$", msg)
    if m and err.get("type") == "value_error":
        loc = [*loc, m.group(1)]
        msg = m.group(2)
    if err.get("type") == "extra_forbidden":
        msg = "is not a field of a claim (check the spelling)"
    elif err.get("type") == "missing":
        msg = "is required"
    elif err.get("type") == "string_pattern_mismatch":
        msg = {"sort_code": "must look like 12-34-56", "account_number": "must be 8 digits"}.get(
            loc[-1] if loc else "", "is not in the expected format")
    elif err.get("type") == "bool_type":
        msg = "must be true or false"
    elif err.get("type") == "literal_error":
        msg = "must be one of " + msg.removeprefix("Input should be ")
    return ".".join(loc) or "body", msg


def parse_claim(data: object, *, prepared: bool = False) -> ClaimIn:
    """The claim, or InvalidClaim naming each field. `prepared`: a claim the system fills in for a
    person (`awaiting_confirmation`), so nobody has declared anything yet; `declaration` may be false.
    The person's own declaration is required when they confirm it (a normal `parse_claim`)."""
    if not isinstance(data, dict):
        raise InvalidClaim([{"field": "body", "message": "must be a JSON object"}])
    try:
        return ClaimIn.model_validate(data, context={"prepared": prepared})
    except ValidationError as exc:
        errors = []
        for err in exc.errors():
            field, msg = _field_path(err)
            errors.append({"field": field, "message": msg})
        raise InvalidClaim(errors) from None
