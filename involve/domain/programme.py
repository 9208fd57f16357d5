"""Pure rules of the involvement programme: the Action Plan file and its statuses, activity kinds
with their programme (staff training) and level (governance), invitations and attendance, support.

No I/O: services call these with what they read and write what these decide.
"""
from __future__ import annotations

import tomllib
from dataclasses import dataclass
from datetime import date

from involve.domain.claim_schema import ACTIVITY_KINDS, BOROUGHS
from involve.domain.languages import N_
from involve.domain.text import BadText, bad_character, multiline
from involve.errors import InvolveError

PROGRAMME_ROLES = ("coordinator", "ppi_lead")  # load/update the plan, forums, support, record outputs
ORGANISER_ROLES = (*PROGRAMME_ROLES, "lead")  # organise an activity, invite people, record attendance
PLAN_STATUSES = ("not_started", "on_track", "at_risk", "done")
PROGRAMME_KINDS = ("forum_meeting", "ward_visit", "survey", "cpa_audit", "staff_training", "governance")
MONITORING_KINDS = ("ward_visit", "survey", "cpa_audit")  # service-user-led monitoring: outputs as text
PROGRAMMES = ("induction", "student_nurse", "cpa", "change_agent", "other")  # staff_training only
LEVELS = ("trust_board", "committee", "borough", "service")  # governance only
INVITE_STATUSES = ("invited", "accepted", "declined", "attended")
ANSWERED = {"accept": "accepted", "decline": "declined"}
ALREADY_ANSWERED = {"accepted": N_("You have already said yes to this invitation."),
                    "declined": N_("You have already said no to this invitation."),
                    "attended": N_("You have already taken part in this activity.")}
SUPPORT_KINDS = ("room", "copying", "travel_booking", "other")
SUPPORT_STATUSES = ("open", "done", "cancelled")
MAX_TEXT = 4000
PLAN_FIELDS = ("id", "work_area", "action", "outcome", "lead", "timescale", "how_tracked", "status", "evidence_kinds")


@dataclass(frozen=True)
class PlanActionIn:
    code: str
    work_area: str
    action: str
    outcome: str
    lead: str
    timescale: str
    how_tracked: str
    status: str
    evidence_kinds: tuple[str, ...] = ()  # activity kinds whose activities and claims count towards it


def one_line_text(value, where: str, *, required: bool = True, limit: int = 200) -> str | None:
    """A one-line field (title, name, service) under the one text policy (involve.domain.text)."""
    value = "" if value is None else value
    if not isinstance(value, str):
        raise InvolveError(f"{where}: must be text")
    if problem := bad_character(value):
        raise InvolveError(f"{where} {problem}")
    value = " ".join(value.split())
    if required and not value:
        raise InvolveError(f"{where} is required")
    if len(value) > limit:
        raise InvolveError(f"{where} is too long (at most {limit} characters)")
    return value or None


def free_text(value, where: str, *, required: bool = True, limit: int = MAX_TEXT) -> str | None:
    """Text that may span lines (a note, an output): no NUL, control or text-direction characters."""
    value = "" if value is None else value
    try:
        multiline(value)
    except BadText as exc:
        raise InvolveError(f"{where} {exc}") from None
    value = value.strip()
    if required and not value:
        raise InvolveError(f"{where} is required")
    if len(value) > limit:
        raise InvolveError(f"{where} is too long (at most {limit} characters)")
    return value or None


def _text(value, where: str, *, required: bool, limit: int = MAX_TEXT) -> str:
    if value is None:
        value = ""
    if not isinstance(value, str):
        raise InvolveError(f"{where}: must be text")
    try:
        multiline(value)
    except BadText as exc:
        raise InvolveError(f"{where}: {exc}") from None
    value = " ".join(value.split()) if "\n" not in value.strip() else value.strip()
    if required and not value:
        raise InvolveError(f"{where}: is required")
    if len(value) > limit:
        raise InvolveError(f"{where}: is too long (at most {limit} characters)")
    return value


def plan_status(value: str) -> str:
    if value not in PLAN_STATUSES:
        raise InvolveError(f"unknown status {value!r}: choose from {', '.join(PLAN_STATUSES)}")
    return value


def parse_plan(text: str, *, source: str = "plan") -> list[PlanActionIn]:
    """The actions of an Action Plan file (TOML: `[[actions]]` tables with `id`, `work_area`,
    `action`, `outcome`, `lead`, `timescale`, `how_tracked`, optional `status` and `evidence_kinds`:
    the activity kinds whose activities and claims count towards the action). The whole file is
    checked before anything is used: a duplicate id, an unknown key or status refuses it."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise InvolveError(f"{source}: not valid TOML ({exc})") from None
    rows = data.get("actions")
    if not isinstance(rows, list) or not rows:
        raise InvolveError(f"{source}: no [[actions]] in the file")
    seen: set[str] = set()
    out = []
    for n, row in enumerate(rows, 1):
        where = f"{source}: action {n}"
        if not isinstance(row, dict):
            raise InvolveError(f"{where}: must be a table")
        unknown = sorted(set(row) - set(PLAN_FIELDS))
        if unknown:
            raise InvolveError(f"{where}: unknown key {unknown[0]!r}")
        code = _text(row.get("id"), f"{where}: id", required=True, limit=20)
        if code in seen:
            raise InvolveError(f"{source}: action id {code!r} appears twice; nothing was loaded")
        seen.add(code)
        where = f"{source}: action {code}"
        out.append(PlanActionIn(
            code=code, work_area=_text(row.get("work_area"), f"{where}: work_area", required=True, limit=200),
            action=_text(row.get("action"), f"{where}: action", required=True),
            outcome=_text(row.get("outcome"), f"{where}: outcome", required=False),
            lead=_text(row.get("lead"), f"{where}: lead", required=False, limit=200),
            timescale=_text(row.get("timescale"), f"{where}: timescale", required=False, limit=200),
            how_tracked=_text(row.get("how_tracked"), f"{where}: how_tracked", required=False),
            status=plan_status(row.get("status", "not_started")),
            evidence_kinds=_kinds(row.get("evidence_kinds", []), f"{where}: evidence_kinds")))
    return out


def _kinds(value, where: str) -> tuple[str, ...]:
    if not isinstance(value, list) or not all(isinstance(k, str) for k in value):
        raise InvolveError(f"{where}: must be a list of activity kinds")
    bad = [k for k in value if k not in ACTIVITY_KINDS]
    if bad:
        raise InvolveError(f"{where}: {bad[0]!r} is not an activity kind ({', '.join(ACTIVITY_KINDS)})")
    return tuple(dict.fromkeys(value))


def check_activity(*, kind: str, kinds: tuple[str, ...], borough: str, level: str | None,
                   programme: str | None, day: date, today: date, inviting: bool) -> None:
    """Refuse an activity that cannot be organised as given (one plain sentence)."""
    if kind not in kinds:
        raise InvolveError(f"unknown activity kind {kind!r}: choose from {', '.join(kinds)}")
    if borough not in BOROUGHS:
        raise InvolveError(f"unknown borough {borough!r}: choose from {', '.join(BOROUGHS)}")
    if level is not None and kind != "governance":
        raise InvolveError("--level is for governance activities only")
    if level is not None and level not in LEVELS:
        raise InvolveError(f"unknown level {level!r}: choose from {', '.join(LEVELS)}")
    if programme is not None and kind != "staff_training":
        raise InvolveError("--programme is for staff_training activities only")
    if programme is not None and programme not in PROGRAMMES:
        raise InvolveError(f"unknown programme {programme!r}: choose from {', '.join(PROGRAMMES)}")
    if inviting and day < today:
        raise InvolveError(f"the activity on {day.isoformat()} is in the past; nobody can be invited to it")


def already_answered(status: str) -> str:
    """What a person is told who answers an invitation again (translated where it is shown)."""
    return ALREADY_ANSWERED.get(status, N_("You have already answered this invitation."))


def answer(status: str, verb: str) -> str:
    """The invitation's status after the person's answer (only from `invited`)."""
    if status != "invited":
        raise InvolveError(already_answered(status))
    return ANSWERED[verb]


def can_attend(status: str | None, email: str, reference: str, day: date, today: date) -> None:
    """Attendance is recorded on or after the day, for someone invited who has not declined."""
    if status is None:
        raise InvolveError(f"{email} was not invited to {reference}; only invited people can attend")
    if status == "attended":
        raise InvolveError(f"{email}'s attendance at {reference} is already recorded")
    if status == "declined":
        raise InvolveError(f"{email} declined {reference}; their attendance cannot be recorded")
    if today < day:
        raise InvolveError(f"{reference} is on {day.isoformat()}; record attendance on or after that day")


ROLE_FOR_KIND = {  # the role a person is offered, per activity kind (the written offer)
    "forum_meeting": N_("member of the user forum: bring your views and experience to the meeting"),
    "ward_visit": N_("visitor: look at the ward with a service-user eye and help write the visit report"),
    "survey": N_("surveyor: help design, carry out or make sense of the survey"),
    "cpa_audit": N_("auditor: help check care plans (CPA) and write down what you find"),
    "staff_training": N_("trainer: help deliver training for staff from your own experience"),
    "governance": N_("member: take part in the meeting as a service-user or carer representative"),
    "meeting": N_("participant in the meeting"),
    "consultation": N_("adviser: give your views in the consultation"),
    "training_delivery": N_("trainer: help deliver the training"),
    "training_received": N_("learner: take part in the training"),
    "interview_panel": N_("panel member"),
    "other": N_("participant"),
}


def minutes_between(start: str, end: str) -> int:
    """Minutes from HH:MM to HH:MM on the same day (refused when the end is not after the start)."""
    h1, m1 = (int(x) for x in start.split(":"))
    h2, m2 = (int(x) for x in end.split(":"))
    minutes = (h2 * 60 + m2) - (h1 * 60 + m1)
    if minutes <= 0:
        raise InvolveError(f"the activity must end after it starts ({start} to {end})")
    return minutes
