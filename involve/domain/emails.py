"""One canonical form for email addresses, used by every identity check.

`canonical_email` parses with `email-validator` (no DNS look-up) and returns the address alone,
lower-cased, in ASCII (an internationalised domain becomes its `xn--` form). It refuses what an
SMTP server without SMTPUTF8 cannot deliver or what could smuggle a second address or header:
display-name syntax (`Name <addr>`), quoted local parts, IP-literal domains, line breaks and other
control characters, non-ASCII local parts, special-use domains (`.local`, `.invalid`, `localhost`).

`address_key` is for comparing with values already stored (which may predate this rule): it never
raises, so a legacy `Name<addr>` still compares equal to `addr`.
"""
from __future__ import annotations

from email.utils import parseaddr
from functools import lru_cache

from email_validator import EmailNotValidError, validate_email

MAX_EMAIL = 320  # the column size of every email column


class InvalidEmail(ValueError):
    """Not an email address this service can compare and deliver to (one plain sentence)."""


def canonical_email(value: object, *, internal: bool = False) -> str:
    """The address alone, lower-cased ASCII, or InvalidEmail. `internal`: an address of the
    organisation's own (staff, the register), where an internal host such as `localhost` is fine."""
    if not isinstance(value, str):
        raise InvalidEmail("must be an email address")
    if len(value) > _CACHED_UP_TO:  # never an address (MAX_EMAIL): not worth remembering
        return _parse(value, internal)
    answer = _canonical(value, internal)
    if isinstance(answer, InvalidEmail):
        raise InvalidEmail(str(answer))  # a fresh exception each time (a cached one would carry old tracebacks)
    return answer


_CACHED_UP_TO = 2 * MAX_EMAIL


@lru_cache(maxsize=8192)
def _canonical(value: str, internal: bool) -> str | InvalidEmail:
    """`canonical_email`'s answer, remembered: it depends on the text alone, and email-validator's
    parse costs ~0.2 ms, paid at intake and for every address a processing batch compares (the same
    people and staff again and again)."""
    try:
        return _parse(value, internal)
    except InvalidEmail as exc:
        return exc


def _parse(value: str, internal: bool) -> str:
    text = value.strip(" ")
    if not text or len(text) > MAX_EMAIL:
        raise InvalidEmail("must be an email address")
    if any(ord(ch) < 32 or ord(ch) == 127 for ch in text):
        raise InvalidEmail("must be one email address, without line breaks or control characters")
    if "<" in text or ">" in text:
        raise InvalidEmail("must be the address alone, without a name or angle brackets")
    try:
        parsed = validate_email(text, check_deliverability=False, allow_smtputf8=False,
                                allow_display_name=False, allow_quoted_local=False, allow_domain_literal=False,
                                globally_deliverable=not internal)
    except EmailNotValidError as exc:
        raise InvalidEmail(f"must be an email address ({exc})") from None
    address = (parsed.ascii_email or "").lower()
    if not address or not address.isascii():
        raise InvalidEmail("must be an email address in plain letters (the mail server cannot deliver this one)")
    return address


def address_key(value: str | None) -> str:
    """A key for comparing a stored address with another: the canonical form when it parses, else
    the address part of whatever was stored, lower-cased. Never raises; '' for nothing."""
    if not value:
        return ""
    try:
        return canonical_email(value)
    except InvalidEmail:
        return (parseaddr(value)[1] or value).strip().lower()


def same_address(a: str | None, b: str | None) -> bool:
    """True when both name the same mailbox (display names and case ignored); False when either is empty."""
    ka, kb = address_key(a), address_key(b)
    return bool(ka) and ka == kb
