"""Bacs Standard 18 direct-credit file, pure formatting (no I/O).

Layout (positions 1-based, as in the standard):

    VOL1, HDR1, HDR2, UHL1        80-character labels: volume serial, the service user number (SUN),
                                  creation / expiry / processing dates as " YYDDD" (Julian)
    data record, one per credit   100 characters:
        1-6   destination sort code         7-14  destination account number
        15    account type "0"              16-17 transaction code "99" (direct credit)
        18-23 originating sort code         24-31 originating account number
        32-35 free (spaces)                 36-46 amount in pence, right-justified, zero-filled
        47-64 originator's name             65-82 reference (the claim reference)
        83-100 destination account name
    processing day                the first working day after the file is made (weekends and England
                                  and Wales bank holidays skipped: involve/domain/payment_dates.py)
    contra record                 100 characters, transaction code "17": debits the originating
                                  account with the total of the credits ("CONTRA" at 65-82)
    EOF1, EOF2, UTL1              trailer labels; UTL1 carries the debit and credit totals (pence,
                                  13 digits each) and the debit and credit counts (7 digits each)

Text fields hold only the Bacs character set (A-Z, 0-9, full stop, ampersand, slash, hyphen,
space), upper case, padded or cut to 18 characters. Records end with CRLF.
"""
from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from involve.domain.payment_dates import next_working_day

NOT_BACS = re.compile(r"[^A-Z0-9.&/\- ]")
MAX_CREDIT_PENCE = 2_000_000_000  # £20,000,000.00: the most one credit carries
MAX_TOTAL_PENCE = 99_999_999_999  # what the contra's 11 digits carry


class BacsError(ValueError):
    """The file cannot be written: one plain sentence saying what Bacs would refuse."""


@dataclass(frozen=True)
class Originator:
    sun: str  # service user number, 6 digits
    sort_code: str
    account_number: str
    name: str


@dataclass(frozen=True)
class Credit:
    sort_code: str
    account_number: str
    amount: Decimal
    reference: str
    account_name: str


def text(value: str | None, width: int = 18) -> str:
    """`value` in the Bacs character set: accents dropped, upper case, anything else a space."""
    plain = unicodedata.normalize("NFKD", value or "").encode("ascii", "ignore").decode()
    plain = NOT_BACS.sub(" ", plain.upper())
    return plain[:width].ljust(width)


def julian(day: date) -> str:
    """' YYDDD': a space, the year's last two digits and the day of the year."""
    return f" {day:%y}{day.timetuple().tm_yday:03d}"


def pence(amount: Decimal) -> int:
    if amount != amount.quantize(Decimal("0.01")):
        raise BacsError(f"{amount} is not pounds and pence")
    return int(amount * 100)


def _digits(value: str, n: int, what: str) -> str:
    v = re.sub(r"[\s-]", "", value or "")
    if not (v.isdigit() and len(v) == n):
        raise BacsError(f"{what} must be {n} digits")
    return v


def _originator(o: Originator) -> Originator:
    sun = (o.sun or "").strip()
    if not (sun.isdigit() and len(sun) == 6):
        raise BacsError("INVOLVE_BACS_SUN: the service user number must be 6 digits")
    if not text(o.name).strip():
        raise BacsError("INVOLVE_BACS_NAME: the name of the paying account is required")
    return Originator(sun, _digits(o.sort_code, 6, "INVOLVE_BACS_SORT_CODE: the sort code"),
                      _digits(o.account_number, 8, "INVOLVE_BACS_ACCOUNT: the account number"), o.name)


def _record(dest_sort: str, dest_acc: str, code: str, o: Originator, amount_pence: int, name: str,
            reference: str, account_name: str) -> str:
    return (dest_sort + dest_acc + "0" + code + o.sort_code + o.account_number + " " * 4
            + f"{amount_pence:011d}" + text(name) + text(reference) + text(account_name))


def write(originator: Originator, credits: list[Credit], *, created: date, serial: str,
          processing: date | None = None, file_number: str = "001") -> str:
    """The whole file as text (CRLF line ends). `serial`: six letters or digits naming the volume."""
    o = _originator(originator)
    if not credits:
        raise BacsError("a Bacs file needs at least one credit")
    serial = text(serial, 6).replace(" ", "0")
    processing = processing or next_working_day(created)
    expires = processing + timedelta(days=1)
    hdr1 = ("HDR1" + "A" + o.sun + "S" + " " * 3 + o.sun + serial + "0001" + "0001" + " " * 6
            + julian(created) + julian(expires) + " " + "000000" + " " * 20)
    hdr2 = "HDR2" + "F" + "02000" + "00100" + " " * 35 + "00" + " " * 28
    labels = ["VOL1" + serial + " " + " " * 30 + o.sun + " " * 32 + "1", hdr1, hdr2,
              "UHL1" + julian(processing) + "999999" + " " * 4 + "00" + "000000" + "1 DAILY  "
              + f"{int(file_number):03d}" + " " * 40]
    records, total = [], 0
    for c in credits:
        amount = pence(c.amount)
        if not 0 < amount <= MAX_CREDIT_PENCE:
            raise BacsError(f"{c.reference}: a Bacs credit is between £0.01 and £20,000,000.00")
        total += amount
        records.append(_record(_digits(c.sort_code, 6, f"{c.reference}: the sort code"),
                               _digits(c.account_number, 8, f"{c.reference}: the account number"), "99", o,
                               amount, o.name, c.reference, c.account_name))
    if total > MAX_TOTAL_PENCE:
        raise BacsError("a Bacs file totals at most £999,999,999.99")
    contra = _record(o.sort_code, o.account_number, "17", o, total, "INVOLVEMENT PAYMNT", "CONTRA", o.name)
    trailer = ["EOF1" + hdr1[4:], "EOF2" + hdr2[4:],
               "UTL1" + f"{total:013d}" + f"{total:013d}" + f"{1:07d}" + f"{len(credits):07d}" + " " * 36]
    lines = [*labels, *records, contra, *trailer]
    for line in lines:
        expected = 100 if line[0].isdigit() else 80
        if len(line) != expected:  # pragma: no cover - a bug in this module, never bad input
            raise AssertionError(f"a Bacs record came out {len(line)} characters long")
    return "\r\n".join(lines) + "\r\n"
