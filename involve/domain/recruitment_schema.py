"""What HR gives to start a recruitment (CLI, API and page alike): strict Pydantic, one error list.

`parse_recruitment` turns every problem into an `InvalidRecruitment` (a 422 on the web, one line
and exit 2 on the command line) naming each field.
"""
from __future__ import annotations

from datetime import date, time
from typing import Annotated, Literal

from pydantic import BeforeValidator, ConfigDict, Field, ValidationError, model_validator

from involve.domain import text as tx
from involve.domain.claim_schema import BOROUGHS, HHMM, IsoDate, Strict, _field_path, line
from involve.domain.recruitment import STAFF_GROUPS
from involve.errors import InvalidClaim


class InvalidRecruitment(InvalidClaim):
    """Raised when the details of a recruitment break the rules; `errors` names each field."""


class RecruitmentIn(Strict):
    """A vacancy to recruit for with service-user involvement."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)
    title: line(tx.TITLE_MAX, 1)
    staff_group: Literal[STAFF_GROUPS]  # type: ignore[valid-type]
    borough: Literal[BOROUGHS]  # type: ignore[valid-type]
    service: line(tx.SERVICE_MAX) | None = None
    interview_date: IsoDate
    interview_start: HHMM = "09:30"
    interview_end: HHMM = "13:00"
    panel_size: Annotated[int, Field(ge=1, le=4, strict=True)] = 2
    job_description: Annotated[str, BeforeValidator(tx.multiline), Field(max_length=50_000)] | None = None
    decision_rule: Annotated[str, BeforeValidator(tx.multiline), Field(max_length=2_000)] | None = None

    @model_validator(mode="after")
    def _times(self):
        if time.fromisoformat(self.interview_end) <= time.fromisoformat(self.interview_start):
            raise ValueError("interview_end: must be after interview_start")
        return self


def parse_recruitment(data: object, *, today: date) -> RecruitmentIn:
    """Validate `data`; the interview may be today but not in the past."""
    if not isinstance(data, dict):
        raise InvalidRecruitment([{"field": "body", "message": "must be a JSON object"}])
    try:
        rec = RecruitmentIn.model_validate({k: v for k, v in data.items() if v is not None})
    except ValidationError as exc:
        errors = []
        for err in exc.errors():
            field, msg = _field_path(err)
            errors.append({"field": field, "message": msg.replace("a field of a claim",
                                                                  "a recruitment field")})
        raise InvalidRecruitment(errors) from None
    if rec.interview_date < today:
        raise InvalidRecruitment([{"field": "interview_date", "message": "is in the past"}])
    return rec
