"""Checks on payment details, pure: the UK modulus check of a sort code and account number
(Vocalink's rules and sort-code weight table, as packaged by `ukmodulus`), and the format of a
National Insurance number (HMRC's published rules)."""
from __future__ import annotations

import re

from ukmodulus import validate_number

# HMRC: two prefix letters (neither D, F, I, Q, U, V; the second not O; not BG, GB, KN, NK, NT, TN, ZZ),
# six digits, a suffix A-D.
_NINO = re.compile(r"^(?!BG|GB|KN|NK|NT|TN|ZZ)[A-CEGHJ-PR-TW-Z][A-CEGHJ-NPR-TW-Z]\d{6}[A-D]$")


def digits(value: str | None) -> str:
    return re.sub(r"[\s-]", "", value or "")


def account_passes_modulus_check(sort_code: str, account_number: str) -> bool:
    """True when Vocalink's modulus check accepts the pair (a sort code the table does not list is
    not checked, as Vocalink says). A pair that is not 6 and 6–10 digits fails."""
    sc, acc = digits(sort_code), digits(account_number)
    if not (sc.isdigit() and acc.isdigit() and len(sc) == 6 and 6 <= len(acc) <= 10):
        return False
    try:
        return bool(validate_number(sc, acc))
    except (ValueError, IndexError):
        return False


def normalise_ni_number(value: str | None) -> str:
    return re.sub(r"\s", "", value or "").upper()


def ni_number_valid(value: str | None) -> bool:
    return bool(_NINO.match(normalise_ni_number(value)))


def mask_ni_number(value: str | None) -> str | None:
    """QQ123456C -> QQ******C: the letters only, never the digits."""
    ni = normalise_ni_number(value)
    return f"{ni[:2]}******{ni[-1:]}" if ni else None
