"""Every legal status change in recruitment involvement, in one table per thing (as
`involve/domain/transitions.py` is for claims).

    recruitment      open ──close──▶ closed
    panel member     invited ──accept──▶ accepted ──attend──▶ attended
                        ├──decline──▶ declined
                        └──expire───▶ expired      (no answer in time, or the recruitment closed)
    JD comment       pending ──accept──▶ accepted ◀─┐ HR may change its mind until the
                        └────decline──▶ declined ──┘ final job description uses it
    training booking booked ──attend──▶ attended
                        └────miss────▶ missed      (the session passed without them)

`move` is the only place that decides whether a step is legal from a status; services assign what
it returns, so a status no table names can never be written.
"""
from __future__ import annotations

from involve.errors import WrongState

TABLES: dict[str, dict[tuple[str, str], str]] = {
    "recruitment": {("close", "open"): "closed"},
    "panel_member": {
        ("accept", "invited"): "accepted",
        ("decline", "invited"): "declined",
        ("expire", "invited"): "expired",
        ("attend", "accepted"): "attended",
    },
    "jd_comment": {("accept", "pending"): "accepted", ("decline", "pending"): "declined",
                   # HR may change its mind until the final job description uses the comment
                   ("accept", "declined"): "accepted", ("decline", "accepted"): "declined"},
    "training_booking": {("attend", "booked"): "attended", ("miss", "booked"): "missed"},
}

STATUSES: dict[str, tuple[str, ...]] = {
    name: tuple(dict.fromkeys([frm for (_, frm) in table] + list(table.values())))
    for name, table in TABLES.items()
}

_PAST = {"close": "closed", "accept": "accepted", "decline": "declined", "expire": "expired",
         "attend": "recorded as attending", "miss": "marked as missed"}


def can(thing: str, action: str, current: str) -> bool:
    return (action, current) in TABLES[thing]


def move(thing: str, action: str, current: str, *, what: str = "it") -> str:
    """The status after `action` from `current`; WrongState (one plain sentence) when it is not legal."""
    try:
        return TABLES[thing][(action, current)]
    except KeyError:
        raise WrongState(f"{what} is {current}; it cannot be {_PAST.get(action, action)} now") from None
