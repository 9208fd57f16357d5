"""The claim form's answers -> canonical claim, and InvalidClaim fields -> form fields and pages."""
from __future__ import annotations

from datetime import date, timedelta

from involve.domain.claim_schema import parse_claim
from involve.web import claim_fields as cf


def answers(**over) -> dict:
    day = date.today() - timedelta(days=2)
    v = {"name": "Kim Baker", "email": "kim@example.org", "kind": "meeting", "title": "Forum",
         "date-day": str(day.day), "date-month": str(day.month), "date-year": str(day.year), "start": "9.30",
         "end": "12:00", "borough": "havering", "fee": "yes", "costs": ["car", "taxi"], "car_miles": "12.4",
         "car_passengers": "1", "taxi": "£12", "method": "bank_transfer", "account_name": "K Baker",
         "sort_code": "12 34 56", "account_number": "1234 5678"}
    v.update(over)
    return v


def test_answers_make_a_valid_canonical_claim():
    claim, lines = cf.build_claim(answers(), submission_id="form-x", declaration=True)
    parsed = parse_claim(claim)
    assert parsed.activity.start == "09:30"
    assert [e.kind for e in parsed.expenses] == ["mileage", "taxi"]
    assert parsed.payment.sort_code == "12-34-56" and parsed.payment.account_number == "12345678"
    assert lines == [("car", "car_miles"), ("taxi", "taxi")]


def test_expense_line_errors_map_to_their_field_and_page():
    errors = cf.check(answers(taxi="600"), submission_id="form-x")
    assert errors == {"taxi": "Each cost can be £500 at most"}
    assert cf.step_of("taxi") == "expenses"
    errors = cf.check(answers(car_passengers="lots"), submission_id="form-x", steps=("expenses",))
    assert list(errors) == ["car_passengers"]


def test_schema_paths_map_to_fields():
    lines = [("car", "car_miles"), ("other", "other")]
    assert cf.form_field("activity.date", lines) == "date"
    assert cf.form_field("expenses.0.miles", lines) == "car_miles"
    assert cf.form_field("expenses.1.description", lines) == "other_description"
    assert cf.form_field("payment.sort_code", lines) == "sort_code"
    assert cf.step_of("sort_code") == "bank" and cf.step_of("date") == "activity"
    assert cf.anchor("date") == "date-day"


def test_plain_messages_for_empty_and_wrong_answers():
    v = answers(name="", email="nope", **{"date-day": "31", "date-month": "2"})
    errors = cf.check(v, submission_id="form-x", steps=("about-you", "activity"))
    assert errors["name"] == "Enter your full name"
    assert errors["email"] == "Enter an email address like name@example.com"
    assert errors["date"] == "The date must be a real date, like 18 11 2026"


def test_future_date_and_times():
    day = date.today() + timedelta(days=3)
    v = answers(**{"date-day": str(day.day), "date-month": str(day.month), "date-year": str(day.year)})
    assert cf.check(v, submission_id="x", steps=("activity",)) == {
        "date": "The date must be today or in the past"}
    v = answers(start="13:00", end="12:00")
    assert cf.check(v, submission_id="x", steps=("activity",)) == {
        "end": "The finish time must be after the start time"}


def test_no_fee_needs_a_cost_and_bank_page_only_for_bank_transfer():
    assert cf.check(answers(fee="no", costs=[]), submission_id="x") == {
        "costs": "Select a cost, or go back and ask for the fee"}
    assert cf.steps_for(answers())[-1] == "bank"
    assert "bank" not in cf.steps_for(answers(method="voucher"))
