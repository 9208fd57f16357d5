"""A person's language (a BCP 47 tag such as `ur`, `ro`, `pa-Arab`) and reading format. Pure rules."""
from __future__ import annotations

import re

READING_FORMATS = ("standard", "large_print", "easy_read")


def N_(message: str) -> str:  # noqa: N802 - the usual gettext marker: extracted by `make messages`, translated later
    return message


class Message(str):
    """A message for people with values to fill in, translated where it is shown: pure code builds
    `Message(N_("Use %(limit)s characters or fewer"), limit=1000)`; as text it is the English filled
    in ("Use 1000 characters or fewer"), and `involve.i18n.gettext` translates its `msgid` and then
    fills the values in (never an f-string: the catalogue could not hold it)."""

    msgid: str
    values: dict

    def __new__(cls, msgid: str, **values):
        obj = super().__new__(cls, msgid % values if values else msgid)
        obj.msgid, obj.values = msgid, values
        return obj

_TAG = re.compile(r"^[A-Za-z]{2,3}(-[A-Za-z]{4})?(-(?:[A-Za-z]{2}|\d{3}))?(-[A-Za-z0-9]{5,8}|-\d[A-Za-z0-9]{3})*$")


def language_tag(value: str) -> str:
    """`value` as a well-formed BCP 47 tag in its usual case (ur, pa-Arab, en-GB), or ValueError."""
    if not isinstance(value, str):
        raise ValueError("must be a language tag like ur, ro or pa-Arab (BCP 47)")
    raw = value.strip().replace("_", "-")
    if not raw or len(raw) > 35 or not _TAG.match(raw):
        raise ValueError("must be a language tag like ur, ro or pa-Arab (BCP 47)")
    parts = raw.split("-")
    out = [parts[0].lower()]
    for part in parts[1:]:
        out.append(part.title() if len(part) == 4 and part.isalpha() else
                   part.upper() if len(part) == 2 else part.lower())
    return "-".join(out)


def reading_format(value: str) -> str:
    v = (value if isinstance(value, str) else "").strip().lower().replace("-", "_").replace(" ", "_")
    if v not in READING_FORMATS:
        raise ValueError(f"must be one of {', '.join(READING_FORMATS)}")
    return v
