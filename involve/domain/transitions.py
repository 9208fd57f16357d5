"""Every legal status change of a claim, in one table.

    prepare ─▶ awaiting_confirmation ──withdraw──▶ withdrawn     (a claim the system made for a
                   │ confirm                                        person: they confirm or withdraw it)
    submit ────────▼
               submitted ──process──▶ awaiting_approval ──approve──▶ approved ──pay──▶ paid
                   │                      │  └─first_approve─▶ awaiting_second_approval ─approve─▶ approved
                   └──────reject──────────┴──────────reject──────────────┘──▶ rejected

    approved / paid ──fail──▶ payment_failed ──pay──▶ paid     (a returned payment: the person checks
                                                                their details, a later run pays it)

`next_status` is the only place that decides whether an action is legal from a status.
"""
from __future__ import annotations

from involve.errors import AlreadyPaid, WrongState

STATUSES = ("awaiting_confirmation", "submitted", "awaiting_approval", "awaiting_second_approval", "approved",
            "rejected", "paid", "withdrawn", "payment_failed")

TRANSITIONS: dict[tuple[str, str | None], str] = {
    ("prepare", None): "awaiting_confirmation",
    ("confirm", "awaiting_confirmation"): "submitted",
    ("withdraw", "awaiting_confirmation"): "withdrawn",
    ("submit", None): "submitted",
    ("process", "submitted"): "awaiting_approval",
    ("approve", "awaiting_approval"): "approved",
    ("first_approve", "awaiting_approval"): "awaiting_second_approval",
    ("approve", "awaiting_second_approval"): "approved",
    ("reject", "submitted"): "rejected",
    ("reject", "awaiting_approval"): "rejected",
    ("reject", "awaiting_second_approval"): "rejected",
    ("pay", "approved"): "paid",
    ("fail", "approved"): "payment_failed",
    ("fail", "paid"): "payment_failed",
    ("pay", "payment_failed"): "paid",
}

PAST_TENSE = {"approve": "approved", "first_approve": "approved", "reject": "rejected", "pay": "paid",
         "process": "processed", "submit": "submitted", "prepare": "prepared", "confirm": "confirmed",
         "withdraw": "withdrawn", "fail": "marked as a failed payment"}


def next_status(action: str, current: str | None, *, reference: str = "the claim") -> str:
    try:
        return TRANSITIONS[(action, current)]
    except KeyError:
        if action == "pay" and current == "paid":
            raise AlreadyPaid(f"{reference} is already paid; a claim is paid once") from None
        raise WrongState(f"{reference} is {current}; it cannot be {PAST_TENSE.get(action, action)} now") from None


def can(action: str, current: str | None) -> bool:
    return (action, current) in TRANSITIONS
