"""The pure recruitment rules: eligibility, diversity ranking, training validity, monthly caps."""
from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from involve.domain.diversity import age_bounds, mapping_categories
from involve.domain.policy import parse_policy
from involve.domain.recruitment import (
    Candidate,
    RecruitmentRules,
    Vacancy,
    add_months,
    ineligible_reason,
    respond_by,
    score_summary,
    shortlist,
    trained_until,
    training_valid_on,
)
from involve.domain.recruitment_schema import InvalidRecruitment, parse_recruitment
from involve.errors import PolicyError

DAY = date(2026, 11, 18)
V = Vacancy(interview_date=DAY, borough="havering", teams=("Community Recovery Team",))
R = RecruitmentRules()


def cand(pid: int, **kw) -> Candidate:
    base = {"person_id": pid, "borough": "redbridge", "active": True, "consent": True,
            "unavailable": frozenset(),
            "conflicts": ()}
    return Candidate(**{**base, **kw})


@pytest.mark.parametrize("kw, reason", [
    ({}, None),
    ({"consent": False}, "consented"),
    ({"active": False}, "active"),
    ({"unavailable": frozenset({DAY})}, "free"),
    ({"unavailable": frozenset({DAY + timedelta(days=1)})}, None),
    ({"conflicts": ("community  recovery-team",)}, "conflict"),
    ({"conflicts": ("Early Intervention",)}, None),
    ({"panels_that_month": 1}, None),
    ({"panels_that_month": 2}, "panels"),
])
def test_eligibility(kw, reason):
    got = ineligible_reason(cand(1, **kw), V, R)
    assert (got is None) if reason is None else (reason in got)


def test_cap_per_month_is_a_setting():
    assert ineligible_reason(cand(1, panels_that_month=2), V,
                             RecruitmentRules(max_panels_per_month=3)) is None
    assert "panels" in ineligible_reason(cand(1, panels_that_month=1), V,
                                         RecruitmentRules(max_panels_per_month=1))


def test_shortlist_covers_categories_then_borough():
    pool = [cand(1), cand(2, categories=frozenset({"women"})), cand(3, categories=frozenset({"women",
                                                                                             "bme"})),
            cand(4, borough="havering"), cand(5, categories=frozenset({"older_people"}))]
    picks = [c.person_id for c in shortlist(pool, V, R, seats=4)]
    # 3 adds two categories, then 5 adds one (2 adds nothing new), then the borough, then the rest
    assert picks[:2] == [3, 5]
    assert picks[2] == 4
    assert len(picks) == 4


def test_shortlist_counts_the_panel_already_sitting():
    pool = [cand(1, categories=frozenset({"women"})), cand(2, categories=frozenset({"young_people"}))]
    picks = shortlist(pool, V, R, seats=1, panel_categories=frozenset({"women"}))
    assert [c.person_id for c in picks] == [2]
    # with someone from the borough already on the panel, the borough no longer decides
    pool = [cand(1, borough="havering"), cand(2, trained_on=DAY - timedelta(days=30))]
    assert shortlist(pool, V, R, seats=1, panel_has_borough=True)[0].person_id == 2
    assert shortlist(pool, V, R, seats=1)[0].person_id == 1


def test_shortlist_skips_ineligible_and_prefers_fewer_panels_then_earlier_registration():
    pool = [cand(1, consent=False, categories=frozenset({"bme"})), cand(2, panels_that_month=1), cand(3),
            cand(4, panels_that_month=2)]
    assert [c.person_id for c in shortlist(pool, V, R, seats=5)] == [3, 2]


def test_training_validity():
    assert trained_until(date(2024, 11, 18), 24) == date(2026, 11, 17)
    assert not training_valid_on(date(2024, 11, 18), DAY, 24)
    assert training_valid_on(date(2024, 11, 19), DAY, 24)
    assert not training_valid_on(None, DAY, 24)
    assert not training_valid_on(DAY + timedelta(days=1), DAY, 24)  # trained after the day
    assert trained_until(date(2024, 2, 29), 12) == date(2025, 2, 27)
    assert add_months(date(2026, 1, 31), 1) == date(2026, 2, 28)


def test_mapping_categories_from_self_declared_answers():
    assert mapping_categories(age_band="65+", ethnic_group="Black British", gender="Female",
                              learning_disability=True) == {"older_people", "bme", "women",
                                                            "learning_disability"}
    assert mapping_categories(age_band="18-24") == {"young_people"}
    assert mapping_categories(age_band="25-34", ethnic_group="White British", gender="male") == set()
    assert mapping_categories(ethnic_group="prefer not to say") == set()
    assert mapping_categories(age_band="75 and over") == {"older_people"}
    assert age_bounds("under 25") == (None, 24)


def test_invitation_deadline_never_after_the_interview_day():
    now = datetime(2026, 11, 1, 10, tzinfo=UTC)
    assert respond_by(now, DAY, R) == now + timedelta(days=5)
    assert respond_by(now, date(2026, 11, 2), R) < now + timedelta(days=2)


def test_score_summary():
    assert score_summary([("A", 4), ("A", 5), ("B", 3)]) == {"A": {"count": 2, "mean": "4.50"},
                                                             "B": {"count": 1, "mean": "3.00"}}


def test_recruitment_settings_in_the_policy():
    base = '[[periods]]\neffective_from = "2025-04-01"\nblock_hours = 3\nblock_rate = "20.00"\n' \
           'max_blocks_per_day = 3\ncar_per_mile = "0.45"\npassenger_per_mile = "0.05"\n' \
           'bicycle_per_mile = "0.20"\nreceipt_required_over = "5.00"\nclaim_deadline_days = 90\n' \
           'second_approval_over = "250.00"\napproval_reminder_days = 5\n'
    assert parse_policy(base).recruitment == RecruitmentRules()
    p = parse_policy(base + "[recruitment]\ninvitation_days = 7\nmax_panels_per_month = 1\n")
    assert (p.recruitment.invitation_days, p.recruitment.max_panels_per_month) == (7, 1)
    with pytest.raises(PolicyError, match="recruitment"):
        parse_policy(base + "[recruitment]\ninvitation_dayz = 7\n")


def test_start_details_are_checked():
    ok = parse_recruitment({"title": "CPN", "staff_group": "cpn", "borough": "havering",
                            "interview_date": "2026-11-18"}, today=date(2026, 11, 1))
    assert (ok.panel_size, ok.interview_start, ok.interview_end) == (2, "09:30", "13:00")
    with pytest.raises(InvalidRecruitment) as exc:
        parse_recruitment({"title": "", "staff_group": "chef", "borough": "kent",
                           "interview_date": "2026-11-18",
                           "panel_size": 5, "extra": 1}, today=date(2026, 11, 1))
    assert {e["field"] for e in exc.value.errors} == {"title", "staff_group", "borough", "panel_size",
                                                      "extra"}
    with pytest.raises(InvalidRecruitment, match="past"):
        parse_recruitment({"title": "CPN", "staff_group": "cpn", "borough": "havering",
                           "interview_date": "2026-10-18"}, today=date(2026, 11, 1))
