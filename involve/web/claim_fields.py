"""The claim form's questions: which page asks what, how answers become the canonical claim, and how
each `InvalidClaim` field (`activity.date`, `expenses.0.amount`) maps back to a form field and page.

Pure functions, no I/O: the router (claim_form.py) keeps the answers and calls the intake.
"""
from __future__ import annotations

import re

from involve.domain.bank import account_passes_modulus_check
from involve.domain.claim_schema import parse_claim
from involve.errors import InvalidClaim
from involve.web.i18n import N_, _

STEPS = ("about-you", "activity", "fee", "expenses", "payment", "bank")  # "bank" only for bank transfer
STEP_TITLES = {"about-you": N_("About you"), "activity": N_("The activity"), "fee": N_("Involvement fee"),
               "expenses": N_("Your costs"), "payment": N_("How you want to be paid"),
               "bank": N_("Your bank details")}
FIELDS = {
    "about-you": ("name", "email", "language", "format"),
    "activity": ("kind", "title", "date-day", "date-month", "date-year", "start", "end", "borough", "service",
                 "lead_email", "reference"),
    "fee": ("fee",),
    "expenses": ("public_transport", "car_miles", "car_passengers", "bicycle_miles", "taxi", "parking",
                 "carer", "childcare", "subsistence", "support", "other", "other_description"),
    "payment": ("method",),
    "bank": ("account_name", "sort_code", "account_number"),
}
LIST_FIELDS = {"expenses": "costs"}  # checkbox groups (several values)
KINDS = {"meeting": N_("A meeting"), "interview_panel": N_("An interview panel"),
         "consultation": N_("Consultation, or checking a service"),
         "training_delivery": N_("Giving training to staff"),
         "training_received": N_("Training for you, like panel training"),
         "forum_meeting": N_("A user forum meeting"), "ward_visit": N_("A ward visit"), "survey": N_("A survey"),
         "cpa_audit": N_("Checking care plans (CPA audit)"), "staff_training": N_("Helping train staff"),
         "governance": N_("A Trust Board, committee or governance meeting"), "other": N_("Something else")}
BOROUGHS = {"barking_dagenham": N_("Barking and Dagenham"), "havering": N_("Havering"),
            "redbridge": N_("Redbridge"), "waltham_forest": N_("Waltham Forest"),
            "trust_wide": N_("Across the trust, or more than one area")}
COSTS = {"public_transport": N_("Bus, train or tube fares"), "car": N_("Driving your car"),
         "bicycle": N_("Cycling"), "taxi": N_("Taxi"), "parking": N_("Parking"),
         "carer": N_("Paying a carer"), "childcare": N_("Childcare"), "subsistence": N_("Food and drink"),
         "support": N_("Support, like an interpreter or BSL"), "other": N_("Something else")}
FORMATS = {"standard": N_("Standard"), "large_print": N_("Large print"),
           "easy_read": N_("Easy Read: short sentences in everyday words")}
METHODS = {"bank_transfer": N_("Into my bank account"),
           "payroll": N_("With my pay, through the trust's payroll"), "voucher": N_("A voucher")}
# form field -> (message when empty, message when wrong)
MESSAGES = {
    "name": (N_("Enter your full name"), N_("Your name must be 300 letters or fewer")),
    "email": (N_("Enter your email address"), N_("Enter an email address like name@example.com")),
    "language": (N_("Select the language you want us to write to you in"),) * 2,
    "format": (N_("Select how you want us to write to you"),) * 2,
    "kind": (N_("Select what you did"), N_("Select what you did")),
    "title": (N_("Enter the name of the activity"), N_("The name must be 300 letters or fewer")),
    "date": (N_("Enter the date of the activity"), N_("The date must be a real date, like 18 11 2026")),
    "start": (N_("Enter the time you started"), N_("Enter the start time like 09:30")),
    "end": (N_("Enter the time you finished"), N_("Enter the finish time like 13:15")),
    "borough": (N_("Select where the activity was"), N_("Select where the activity was")),
    "lead_email": (N_("Enter an email address like name@nhs.net"),) * 2,
    "fee": (N_("Select yes if you want the involvement fee"),) * 2,
    "costs": (N_("Select a cost, or go back and ask for the fee"),) * 2,
    "miles": (N_("Enter how many miles you went"), N_("Enter the miles as a number, like 12.4")),
    "passengers": (N_("Enter how many people came with you"), N_("Enter a number of passengers from 0 to 8")),
    "amount": (N_("Enter how much you spent"), N_("Enter an amount in pounds, like 6.80")),
    "other_description": (N_("Tell us what the cost was for"), N_("Use 500 letters or fewer")),
    "method": (N_("Select how you want to be paid"), N_("Select how you want to be paid")),
    "account_name": (N_("Enter the name on the account"), N_("The name must be 100 letters or fewer")),
    "sort_code": (N_("Enter the sort code"), N_("Enter a sort code with 6 numbers, like 12-34-56")),
    "account_number": (N_("Enter the account number"), N_("Enter an account number with 8 numbers")),
    "declaration": (N_("Tick the box to say what you told us is true"),) * 2,
}
BANK_CHECK_FAILED = N_("The sort code and account number do not match. Check them on a bank statement or card")
SPECIAL = [("may not be in the future", N_("The date must be today or in the past")),
           ("after start", N_("The finish time must be after the start time")),
           ("at most 12 hours", N_("An activity can last 12 hours at most")),
           ("at most 500.00", N_("Each cost can be £500 at most")),
           ("more than 0", N_("Enter an amount more than £0")),
           ("at most 1000 miles", N_("You can claim 1000 miles at most")),
           ("policy period", N_("We cannot pay claims for this date. Check the date, or ask the "
                            "involvement team"))]
PATHS = {"claimant.name": "name", "claimant.email": "email", "claimant.language": "language",
         "claimant.format": "format", "activity.kind": "kind",
         "activity.title": "title", "activity.date": "date", "activity.start": "start", "activity.end": "end",
         "activity.borough": "borough", "activity.service": "service", "activity.lead_email": "lead_email",
         "activity.reference": "reference", "activity": "date", "fee": "fee", "fee.claimed": "fee",
         "expenses": "costs", "payment": "method",
         "payment.method": "method", "payment.account_name": "account_name", "payment.sort_code": "sort_code",
         "payment.account_number": "account_number", "declaration": "declaration"}
STEP_OF = {f.split("-")[0]: step for step, fields in FIELDS.items() for f in fields} | {"costs": "expenses"}
ANCHOR = {"date": "date-day", "kind": "kind", "costs": "costs"}
AMOUNT_COSTS = ("public_transport", "taxi", "parking", "carer", "childcare", "subsistence", "support",
                "other")


def steps_for(v: dict) -> tuple[str, ...]:
    """The pages this person sees: the bank page only when they want a bank transfer."""
    return STEPS if v.get("method") == "bank_transfer" else STEPS[:-1]


def _money(v: str) -> str | None:
    v = re.sub(r"[£,\s]", "", v or "")
    return v or None


def _time(v: str) -> str:
    m = re.fullmatch(r"\s*(\d{1,2})[:.]?(\d{2})\s*", v or "")
    return f"{int(m.group(1)):02d}:{m.group(2)}" if m else (v or "").strip()


def _date(v: dict) -> str:
    parts = [(v.get(f"date-{p}") or "").strip() for p in ("year", "month", "day")]
    if not any(parts):
        return ""
    if all(re.fullmatch(r"[0-9]{1,4}", p) for p in parts):  # ASCII digits, bounded: never a huge int
        return f"{int(parts[0]):04d}-{int(parts[1]):02d}-{int(parts[2]):02d}"
    return "not-a-date"


def _int(v: str):
    v = (v or "").strip()
    return int(v) if re.fullmatch(r"[0-9]{1,3}", v) else (v[:20] or 0)


def build_claim(v: dict, *, submission_id: str, declaration: bool) -> tuple[dict, list[tuple[str, str]]]:
    """The canonical claim from the answers, and for each expense line its (cost, form field)."""
    activity = {"kind": v.get("kind") or None, "title": v.get("title", ""), "date": _date(v),
                "start": _time(v.get("start", "")), "end": _time(v.get("end", "")),
                "borough": v.get("borough") or None}
    for key in ("service", "lead_email", "reference"):
        if (v.get(key) or "").strip():
            activity[key] = v[key].strip()
    expenses, lines = [], []
    for cost in COSTS:
        if cost not in (v.get("costs") or []):
            continue
        if cost in ("car", "bicycle"):
            line = {"kind": "mileage", "vehicle": cost, "miles": _money(v.get(f"{cost}_miles", ""))}
            if cost == "car":
                line["passengers"] = _int(v.get("car_passengers", ""))
        else:
            line = {"kind": cost, "amount": _money(v.get(cost, ""))}
            if cost == "other" and (v.get("other_description") or "").strip():
                line["description"] = v["other_description"].strip()
        expenses.append(line)
        lines.append((cost, f"{cost}_miles" if cost in ("car", "bicycle") else cost))
    claim = {"submission_id": submission_id,
             "claimant": {"name": v.get("name", ""), "email": v.get("email", ""),
                          **{k: v[k] for k in ("language", "format") if v.get(k)}},
             "activity": activity, "fee": {"claimed": {"yes": True, "no": False}.get(v.get("fee"))},
             "expenses": expenses, "declaration": declaration}
    method = v.get("method")
    if method:
        claim["payment"] = {"method": method}
        if method == "bank_transfer":
            claim["payment"].update(account_name=(v.get("account_name") or "").strip() or None,
                                    sort_code=_sort_code(v.get("sort_code", "")),
                                    account_number=re.sub(r"[\s-]", "", v.get("account_number", "")) or None)
    return claim, lines


def _sort_code(v: str) -> str | None:
    digits = re.sub(r"[\s-]", "", v or "")
    if len(digits) == 6 and digits.isdigit():
        return f"{digits[:2]}-{digits[2:4]}-{digits[4:]}"
    return digits or None


def form_field(path: str, lines: list[tuple[str, str]]) -> str:
    """The form field that holds a claim field path."""
    m = re.fullmatch(r"expenses\.(\d+)(?:\.(\w+))?", path)
    if m and int(m.group(1)) < len(lines):
        cost, field = lines[int(m.group(1))]
        if m.group(2) == "passengers":
            return "car_passengers"
        if m.group(2) == "description":
            return "other_description"
        return field
    return PATHS.get(path, "declaration" if path == "body" else path.split(".")[0])


def plain_message(field: str, message: str, v: dict) -> str:
    for needle, text in SPECIAL:
        if needle in message:
            return _(text)
    kind = ("miles" if field.endswith("_miles") else "passengers" if field == "car_passengers"
            else "amount" if field in AMOUNT_COSTS else field)
    empty, wrong = MESSAGES.get(kind, (message, message))
    value = _date(v) if field == "date" else v.get(field)
    return _(wrong if value not in (None, "", []) else empty)


def check(v: dict, *, submission_id: str, declaration: bool = True, steps=STEPS) -> dict[str, str]:
    """{form field: plain message} for the answers, limited to the fields on `steps`."""
    claim, lines = build_claim(v, submission_id=submission_id, declaration=declaration)
    errors: dict[str, str] = {}
    if "payment" in steps and not v.get("method"):
        errors["method"] = _(MESSAGES["method"][0])
    try:
        parse_claim(claim)
    except InvalidClaim as exc:
        errors.update(map_errors(exc.errors, lines, v, steps))
    pay = claim.get("payment") or {}
    if step_of("account_number") in steps and not {"sort_code", "account_number"} & errors.keys() \
            and pay.get("sort_code") and pay.get("account_number") \
            and not account_passes_modulus_check(pay["sort_code"], pay["account_number"]):
        errors["account_number"] = _(BANK_CHECK_FAILED)
    return errors


def map_errors(raw: list[dict], lines, v: dict, steps=(*STEPS, "check")) -> dict[str, str]:
    errors: dict[str, str] = {}
    for err in raw:
        field = form_field(err["field"], lines)
        if step_of(field) in steps and field not in errors:
            errors[field] = plain_message(field, err["message"], v)
    return errors


def step_of(field: str) -> str:
    return STEP_OF.get(field, "check")


def anchor(field: str) -> str:
    return ANCHOR.get(field, field)
