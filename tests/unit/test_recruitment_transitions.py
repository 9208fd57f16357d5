"""The recruitment transition tables (involve/domain/recruitment_transitions.py) as data."""
from __future__ import annotations

import pytest

from involve.domain.recruitment_transitions import STATUSES, TABLES, can, move
from involve.errors import WrongState


@pytest.mark.parametrize("thing, action, current, expected", [
    ("recruitment", "close", "open", "closed"),
    ("panel_member", "accept", "invited", "accepted"),
    ("panel_member", "decline", "invited", "declined"),
    ("panel_member", "expire", "invited", "expired"),
    ("panel_member", "attend", "accepted", "attended"),
    ("jd_comment", "decline", "pending", "declined"),
    ("training_booking", "miss", "booked", "missed"),
])
def test_legal_moves(thing, action, current, expected):
    assert move(thing, action, current) == expected and can(thing, action, current)


@pytest.mark.parametrize("thing, action, current", [
    ("recruitment", "close", "closed"),
    ("panel_member", "attend", "invited"),     # nobody attends without accepting
    ("panel_member", "accept", "declined"),
    ("panel_member", "expire", "accepted"),    # an accepted member keeps their seat
    ("jd_comment", "accept", "accepted"),
    ("training_booking", "miss", "attended"),
])
def test_illegal_moves_say_why(thing, action, current):
    with pytest.raises(WrongState, match=f"is {current}; it cannot be"):
        move(thing, action, current, what="it")
    assert not can(thing, action, current)


def test_every_status_fits_its_column():
    from models import JdComment, PanelMember, Recruitment, TrainingBooking

    columns = {"recruitment": Recruitment, "panel_member": PanelMember, "jd_comment": JdComment,
               "training_booking": TrainingBooking}
    for thing, model in columns.items():
        assert set(TABLES[thing])
        assert max(map(len, STATUSES[thing])) <= model.__table__.c.status.type.length
