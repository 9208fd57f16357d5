"""Bacs Standard 18 parsed back field by field; the Vocalink modulus check on its published test
cases; National Insurance number formats."""
from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from involve.domain import bacs18
from involve.domain.bank import account_passes_modulus_check, ni_number_valid
from involve.domain.payment_dates import add_working_days

ORIGIN = bacs18.Originator("654321", "40-05-15", "87654321", "NELFT Involvement")
CREDITS = [bacs18.Credit("08-99-99", "66374958", Decimal("118.00"), "CLM-ABCDEFGH", "S Okafor"),
           bacs18.Credit("107999", "88837491", Decimal("0.45"), "CLM-23456789", "Zoë O'Brien-Smith & Co Ltd")]


def field(record: str, first: int, last: int) -> str:
    """Positions as the standard numbers them: 1-based, inclusive."""
    return record[first - 1:last]


def test_bacs_file_parsed_back_field_by_field():
    text = bacs18.write(ORIGIN, CREDITS, created=date(2026, 11, 27), serial="RUN001")
    assert text.endswith("\r\n")
    lines = text.split("\r\n")[:-1]
    labels = [x[:4] for x in lines]
    assert labels[:4] == ["VOL1", "HDR1", "HDR2", "UHL1"] and labels[-3:] == ["EOF1", "EOF2", "UTL1"]
    data, contra = lines[4:6], lines[6]
    assert all(len(x) == 80 for x in lines[:4] + lines[-3:]) and all(len(x) == 100 for x in lines[4:7])
    assert field(lines[0], 5, 10) == "RUN001" and field(lines[0], 42, 47) == "654321"
    assert field(lines[1], 6, 11) == "654321" and field(lines[1], 42, 47) == " 26331"  # created 27 Nov 2026
    assert field(lines[3], 5, 10) == " 26334"  # processed the next banking day: Monday 30 November
    for record, credit in zip(data, CREDITS, strict=True):
        assert field(record, 1, 6) == credit.sort_code.replace("-", "")
        assert field(record, 7, 14) == credit.account_number
        assert field(record, 16, 17) == "99"
        assert field(record, 18, 23) == "400515" and field(record, 24, 31) == "87654321"
        assert int(field(record, 36, 46)) == int(credit.amount * 100)
        assert field(record, 47, 64).rstrip() == "NELFT INVOLVEMENT"
        assert field(record, 65, 82).rstrip() == credit.reference
    assert field(data[0], 83, 100).rstrip() == "S OKAFOR"
    assert field(data[1], 83, 100) == "ZOE O BRIEN-SMITH "  # Bacs characters only, 18 long
    assert field(data[1], 36, 46) == "00000000045"
    total = sum(int(field(r, 36, 46)) for r in data)
    assert field(contra, 1, 14) == "40051587654321" and field(contra, 16, 17) == "17"
    assert int(field(contra, 36, 46)) == total and field(contra, 65, 82).rstrip() == "CONTRA"
    utl = lines[-1]
    assert int(field(utl, 5, 17)) == total and int(field(utl, 18, 30)) == total  # debits, credits
    assert int(field(utl, 31, 37)) == 1 and int(field(utl, 38, 44)) == len(CREDITS)
    assert lines[-3][4:] == lines[1][4:] and lines[-2][4:] == lines[2][4:]


@pytest.mark.parametrize(("created", "processing"), [
    (date(2026, 12, 23), date(2026, 12, 24)),  # Wednesday: Thursday, Christmas Eve, is a working day
    (date(2026, 12, 24), date(2026, 12, 29)),  # Christmas Day (Friday), the weekend, Boxing Day's substitute (Monday)
    (date(2027, 3, 25), date(2027, 3, 30)),    # Good Friday, the weekend and Easter Monday 2027
    (date(2026, 4, 6), date(2026, 4, 7)),      # made on Easter Monday itself: the next day
    (date(2026, 8, 28), date(2026, 9, 1)),     # Friday before the summer bank holiday (31 August)
])
def test_bacs_processing_day_skips_weekends_and_bank_holidays(created, processing):
    text = bacs18.write(ORIGIN, CREDITS, created=created, serial="RUN001")
    lines = text.split("\r\n")
    assert field(lines[3], 5, 10) == bacs18.julian(processing)  # UHL1: the processing day
    assert field(lines[1], 42, 47) == bacs18.julian(created)
    assert add_working_days(created, 1) == processing  # the same calendar as INVOLVE_PAYMENT_DAYS


def test_bacs_refusals():
    with pytest.raises(bacs18.BacsError, match="SUN"):
        bacs18.write(bacs18.Originator("12", "400515", "87654321", "X"), CREDITS, created=date(2026, 1, 5),
                     serial="A")
    with pytest.raises(bacs18.BacsError, match="at least one"):
        bacs18.write(ORIGIN, [], created=date(2026, 1, 5), serial="A")
    with pytest.raises(bacs18.BacsError, match="not pounds and pence"):
        bacs18.write(ORIGIN, [bacs18.Credit("089999", "66374958", Decimal("1.005"), "R", "N")],
                     created=date(2026, 1, 5), serial="A")


# Vocalink, "Validating account numbers" (modulus checking), the published test cases
VALID = [("089999", "66374958"), ("107999", "88837491"), ("202959", "63748472"), ("871427", "46238510"),
         ("872427", "46238510"), ("871427", "09123496"), ("871427", "99123496"), ("820000", "73688637"),
         ("827999", "73988638"), ("827101", "28748352"), ("134020", "63849203"), ("118765", "64371389"),
         ("200915", "41011166"), ("938611", "07806039"), ("938600", "42368003"), ("938063", "55065200"),
         ("772798", "99345694"), ("086090", "06774744"), ("309070", "02355688"), ("309070", "12345668"),
         ("309070", "12345677"), ("309070", "99345694")]
INVALID = [("938063", "15764273"), ("938063", "15764264"), ("938063", "15763217"), ("118765", "64371388"),
           ("203099", "66831036"), ("203099", "58716970"), ("089999", "66374959"), ("107999", "88837493")]


@pytest.mark.parametrize(("sort_code", "account"), VALID)
def test_vocalink_valid_cases(sort_code, account):
    assert account_passes_modulus_check(sort_code, account)


@pytest.mark.parametrize(("sort_code", "account"), INVALID)
def test_vocalink_invalid_cases(sort_code, account):
    assert not account_passes_modulus_check(sort_code, account)


def test_modulus_input_shapes():
    assert account_passes_modulus_check("08-99-99", "66374958")
    assert not account_passes_modulus_check("0899", "66374958")
    assert not account_passes_modulus_check("089999", "abc")


@pytest.mark.parametrize(("value", "ok"), [("AB123456C", True), ("ab 12 34 56 c", True), ("QQ123456C", False),
                                           ("GB123456A", False), ("AO123456A", False), ("AB123456E", False),
                                           ("AB12345C", False), ("DA123456A", False), ("", False)])
def test_ni_number_format(value, ok):
    assert ni_number_valid(value) is ok
