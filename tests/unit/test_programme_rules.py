"""Pure rules of the involvement programme (involve.domain.programme)."""
from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from involve.domain.claim_schema import ACTIVITY_KINDS, parse_claim
from involve.domain.policy import load_policy
from involve.domain.programme import (
    PROGRAMME_KINDS,
    answer,
    can_attend,
    check_activity,
    minutes_between,
    parse_plan,
)
from involve.errors import InvolveError
from involve.reports.targets import parse_targets

PLAN = Path(__file__).resolve().parents[2] / "involve" / "data" / "action-plan.toml"
POLICY = Path(__file__).resolve().parents[2] / "involve" / "default-policy.toml"
TODAY = date(2026, 11, 30)


def test_the_shipped_plan_parses_with_unique_ids():
    actions = parse_plan(PLAN.read_text())
    assert len(actions) == len({a.code for a in actions}) >= 10
    assert {a.work_area for a in actions} >= {"Training and development opportunities",
                                             "A healthy and active network"}
    assert all(a.status == "not_started" for a in actions)


@pytest.mark.parametrize("text, words", [
    ('[[actions]]\nid = "1"\nwork_area = "A"\naction = "x"\n[[actions]]\nid = "1"\nwork_area = "A"\naction = "y"\n',
     "twice"),
    ('[[actions]]\nid = "1"\nwork_area = "A"\n', "action: is required"),
    ('[[actions]]\nid = "1"\nwork_area = "A"\naction = "x"\nowner = "me"\n', "unknown key 'owner'"),
    ('[[actions]]\nid = "1"\nwork_area = "A"\naction = "x"\nstatus = "late"\n', "unknown status"),
    ('actions = 3', "no [[actions]]"),
    ('[[actions]]\nid = "1"\nwork_area = "A"\naction = "x"\nevidence_kinds = ["picnic"]\n',
     "'picnic' is not an activity"),
    ('[[actions]\n', "not valid TOML"),
])
def test_a_bad_plan_is_refused_whole(text, words):
    with pytest.raises(InvolveError, match=words.replace("[", r"\[")):
        parse_plan(text)


def check(**kw):
    base = {"kind": "forum_meeting", "kinds": ACTIVITY_KINDS, "borough": "havering", "level": None,
            "programme": None, "day": TODAY, "today": TODAY, "inviting": True}
    check_activity(**{**base, **kw})


def test_activity_rules():
    check()
    check(kind="governance", level="trust_board")
    check(kind="staff_training", programme="student_nurse")
    check(kind="governance")  # the level and the programme are optional (then not in those breakdowns)
    check(day=date(2026, 11, 1), inviting=False)  # the past can be recorded, without invitations
    for kw, words in (({"day": date(2026, 11, 29)}, "in the past"), ({"kind": "picnic"}, "unknown activity kind"),
                      ({"kind": "governance", "level": "parliament"}, "unknown level"),
                      ({"level": "committee"}, "governance activities only"),
                      ({"kind": "staff_training", "programme": "yoga"}, "unknown programme"),
                      ({"programme": "cpa"}, "staff_training activities only"), ({"borough": "camden"}, "borough")):
        with pytest.raises(InvolveError, match=words):
            check(**kw)
    assert minutes_between("10:00", "13:30") == 210
    with pytest.raises(InvolveError, match="end after"):
        minutes_between("13:00", "10:00")


def test_invitation_answers_and_attendance():
    assert answer("invited", "accept") == "accepted" and answer("invited", "decline") == "declined"
    with pytest.raises(InvolveError, match="already said yes"):
        answer("accepted", "decline")
    can_attend("accepted", "a@x.org", "ACT-1", TODAY, TODAY)
    can_attend("invited", "a@x.org", "ACT-1", TODAY, date(2026, 12, 5))
    for status, today, words in ((None, TODAY, "not invited"), ("declined", TODAY, "declined"),
                                 ("attended", TODAY, "already recorded"),
                                 ("accepted", date(2026, 11, 29), "on or after")):
        with pytest.raises(InvolveError, match=words):
            can_attend(status, "a@x.org", "ACT-1", TODAY, today)


@pytest.mark.parametrize("kind", PROGRAMME_KINDS)
def test_new_kinds_are_claimable_under_the_policy(kind):
    claim = parse_claim({"claimant": {"name": "Ann", "email": "ann@example.org"},
                         "activity": {"kind": kind, "title": "T", "date": "2026-11-02", "start": "10:00",
                                      "end": "12:00", "borough": "havering"},
                         "fee": {"claimed": True}, "declaration": True})
    period = load_policy(POLICY).period_for(claim.activity.date)
    assert period.rates_for(kind) == (period.block_hours, period.block_rate)


def test_every_borough_and_measure_has_a_census_figure_or_a_reason():
    from involve.reports.population import MAPPED_BOROUGHS, load_baseline

    b = load_baseline()
    every = {(area, m) for area in MAPPED_BOROUGHS for m in b.measures}
    assert set(b.figures) | set(b.missing) == every and not set(b.figures) & set(b.missing)
    assert all(reason.strip() for reason in b.missing.values())


@pytest.mark.parametrize("text, words", [
    ('[[targets]]\nyear = 2025\nmetric = "x"\n', "needs year, metric and target"),
    ('[[targets]]\nyear = 2025\nmetric = "x"\ntarget = "lots"\n', "not a number"),
    ('[[targets]]\nyear = 2025\nmetric = "x"\ntarget = 1\ndirection = "about"\n', "at_least or at_most"),
    ('[[targets]]\nyear = 2025\nmetric = "x"\ntarget = 1\n[[targets]]\nyear = 2025\nmetric = "x"\ntarget = 2\n',
     "two targets"),
])
def test_a_bad_targets_file_is_refused(text, words):
    with pytest.raises(InvolveError, match=words):
        parse_targets(text)
