"""Pure parts of the reports: formatting, suppression, charts, the population baseline file,
the mapping-exercise rules and the financial-year arithmetic."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from datetime import date
from decimal import Decimal

import pytest

from involve.reports import charts
from involve.reports.figures import Figures, money, one_place, percent, small, small_percent
from involve.reports.population import MAPPED_BOROUGHS, ethnic_broad, in_measure, load_baseline
from involve.reports.queries import calendar_month, financial_year, percentile_position
from involve.reports.render import label, number
from involve.reports.sections import months


def test_formatting_and_small_cells():
    assert money(12345) == "123.45" and money(0) == "0.00" and money(-5) == "-0.05"
    assert percent(1, 3) == "33.3" and percent(1, 8) == "12.5" and percent(1, 0) == "n/a"
    assert one_place(Decimal("29.25")) == "29.3" and one_place(None) == "n/a"
    assert [small(n) for n in (0, 4, 5, 12)] == ["<5", "<5", "5", "12"]
    assert small_percent(4, 100) == "<5" and small_percent(5, 4) == "<5" and small_percent(5, 10) == "50.0"


def test_figures_refuse_duplicates_and_keep_order():
    f = Figures()
    f.add("claims", "claims_submitted", 3)
    f.add("claims", "claims_submitted", 2, "borough", "havering")
    f.add("claims", "claims_submitted", 1, "borough", "redbridge")
    with pytest.raises(ValueError):
        f.add("other", "claims_submitted", 9, "borough", "havering")
    assert f.keys("claims_submitted", "borough") == ["havering", "redbridge"]
    assert f.get("claims_submitted") == "3" and f.get("nothing") == "n/a"


def test_number_for_reading():
    assert number("1234567") == "1,234,567" and number("98765.40") == "98,765.40"
    assert number("+12") == "+12" and number("-1500") == "-1,500"
    assert number("<5") == "<5" and number("n/a") == "n/a" and number("") == ""


def test_labels():
    assert (
        label("other", "staff_group") == "Other staff"
        and label("other", "activity_kind") == "Other activities"
    )
    assert (
        label("barking_dagenham", "borough") == "Barking and Dagenham" and label("not_stated") == "Not stated"
    )


def test_charts_are_sized_svg_with_a_title():
    svgs = [
        charts.bars(
            "By kind",
            ["Meetings", "A much longer label than the others"],
            [("Fee", [10.0, 2500.5]), ("Expenses", [None, 0.0])],
            unit="£",
        ),
        charts.columns("By month", ["Apr", "May"], [("Claims", [0.0, 0.0])]),
    ]
    for svg in svgs:
        root = ET.fromstring(svg)
        assert root.tag.endswith("svg") and int(root.get("width")) > 0 and int(root.get("height")) > 0
        assert root.find("{http://www.w3.org/2000/svg}title").text
    assert charts.nice_max(0) == 1 and charts.nice_max(7) == 10 and charts.nice_max(230) == 250


def test_population_baseline_cites_every_figure():
    baseline = load_baseline()
    assert "Census 2021" in baseline.census
    assert set(baseline.measures) == {"older_people", "young_people", "women", "bme", "learning_disability"}
    assert baseline.figures, "at least some published figures"
    for (borough, measure), fig in baseline.figures.items():
        assert borough in MAPPED_BOROUGHS and measure in baseline.measures
        assert fig.source_url.startswith("https://") and fig.source_title and fig.table.startswith("TS0")
        assert 0 < float(fig.percent) < 100
    assert not any(m == "learning_disability" for _, m in baseline.figures), "no Census figure exists"


def test_mapping_rules():
    assert in_measure("older_people", "65-74", None, None, None) is True
    assert in_measure("older_people", "55-64", None, None, None) is False
    assert in_measure("older_people", None, None, None, None) is None
    assert in_measure("young_people", "16-24", None, None, None) is True
    assert in_measure("bme", None, "Black British", None, None) is True
    assert in_measure("bme", None, "White British", None, None) is False
    assert in_measure("bme", None, "prefer not to say", None, None) is None
    assert in_measure("women", None, None, "Female", None) is True
    assert in_measure("learning_disability", None, None, None, False) is False
    assert [
        ethnic_broad(v)
        for v in (
            "asian",
            "Indian",
            "Black Caribbean",
            "Mixed: White and Asian",
            "Any other White background",
            "Arab",
            None,
        )
    ] == ["asian", "asian", "black", "mixed", "white", "other", "not_stated"]


def test_periods_and_percentile_positions():
    fy = financial_year(2025)
    assert (fy.start, fy.end, fy.label) == (date(2025, 4, 1), date(2026, 3, 31), "2025/26")
    assert months(fy)[0] == "2025-04" and months(fy)[-1] == "2026-03" and len(months(fy)) == 12
    assert calendar_month(2024, 2).end == date(2024, 2, 29)
    assert percentile_position(Decimal("0.5"), 4) == (1, Decimal("0.5"))
    assert percentile_position(Decimal("0.9"), 11) == (9, Decimal("0.0"))
