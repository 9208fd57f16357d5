"""Languages: which are offered, the one in use, its catalogue, and dates, numbers and money in it.

Catalogues live in involve/locale/<code>/LC_MESSAGES/messages.(po|mo); `make messages` extracts the
template (.pot) and updates every .po. A .po without a compiled .mo still works: it is compiled in
memory. The language in use is a context variable: the web layer sets it per request (`?lang=`,
cookie, Accept-Language), the email renderer per email (the person's language); `use(code)` sets it
for a block. Codes are BCP 47 (`ur`, `ro`, `en-XA`); Babel gets them as `ur`, `ro`, `en_GB`.
"""
from __future__ import annotations

import gettext as _gettext
import io
import logging
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from functools import lru_cache
from pathlib import Path

from babel import Locale, UnknownLocaleError
from babel.dates import format_date
from babel.numbers import format_currency, format_decimal

from involve.domain.languages import N_, READING_FORMATS, Message  # noqa: F401 - N_, Message used from here too
from involve.settings import settings

LOCALE_DIR = Path(__file__).resolve().parent / "locale"
DOMAIN = "messages"
SOURCE = "en"  # the language the templates and code are written in
RTL_LANGUAGES = frozenset({"ar", "arc", "ckb", "dv", "fa", "he", "ks", "ps", "sd", "ug", "ur", "yi"})
FORMATS = READING_FORMATS  # how a person wants to read what we send them
log = logging.getLogger("involve.i18n")
_current: ContextVar[str | None] = ContextVar("involve_language", default=None)
_extra: dict[str, _gettext.NullTranslations] = {}  # catalogues installed at run time (tests: en-XA)


def shipped() -> list[str]:
    """Languages with a catalogue under involve/locale (codes as BCP 47: en_XA -> en-XA)."""
    return sorted(_catalogues(LOCALE_DIR) | set(_extra))


@lru_cache(maxsize=4)
def _catalogues(folder: Path) -> frozenset[str]:
    """The catalogues under `folder`, looked for once per folder: every request chooses its language
    from them, and the folder's glob cost 15 % of intake's CPU (a catalogue added later needs a
    restart, as its translations do: they are loaded once too)."""
    return frozenset(p.parent.parent.name.replace("_", "-") for p in folder.glob(f"*/LC_MESSAGES/{DOMAIN}.[pm]o"))


def offered() -> list[str]:
    """INVOLVE_LANGUAGES (comma-separated), else English plus every shipped catalogue; English first."""
    return list(_offered(settings.languages, frozenset(_extra)))


@lru_cache(maxsize=16)
def _offered(raw: str | None, extra: frozenset[str]) -> tuple[str, ...]:
    """Worked out once per setting and set of run-time catalogues: every request asks (issue 17, part 6)."""
    codes = [c.strip() for c in raw.split(",") if c.strip()] if raw else [SOURCE, *shipped()]
    seen: list[str] = []
    for code in codes:
        if code not in seen and (code == SOURCE or code in shipped() or code in extra):
            seen.append(code)
    return tuple(seen or [SOURCE])


@lru_cache(maxsize=16)
def _by_lower(codes: tuple[str, ...]) -> dict[str, str]:
    return {c.lower(): c for c in codes}


def default() -> str:
    code = normalise(settings.language.replace("_", "-"))
    return code or SOURCE


def normalise(code: str | None) -> str | None:
    """The offered language a BCP 47 tag means (case-insensitive; `ur-PK` -> `ur`), or None."""
    if not code or len(code) > 35:
        return None
    wanted = code.strip().replace("_", "-").lower()
    by_lower = _by_lower(_offered(settings.languages, frozenset(_extra)))
    if wanted in by_lower:
        return by_lower[wanted]
    return by_lower.get(wanted.split("-")[0])


def from_accept_language(header: str | None) -> str | None:
    """The best offered language for an Accept-Language header (q-values honoured), or None."""
    choices = []
    for i, part in enumerate((header or "").split(",")[:20]):
        tag, _sep, params = part.strip().partition(";")
        q = 1.0
        if params.strip().startswith("q="):
            try:
                q = float(params.strip()[2:])
            except ValueError:
                q = 0.0
        if tag and tag != "*" and q > 0:
            choices.append((-q, i, tag))
    for _q, _i, tag in sorted(choices):
        if code := normalise(tag):
            return code
    return None


def direction(code: str | None = None) -> str:
    return "rtl" if (code or current()).split("-")[0].lower() in RTL_LANGUAGES else "ltr"


def babel_locale(code: str | None = None) -> str:
    """The Babel locale for dates, numbers and money: British English for English and the pseudo-locale."""
    code = code or current()
    if code.split("-")[0] == "en":
        return "en_GB"
    return code.replace("-", "_")


def native_name(code: str) -> str:
    """The language named in itself (English, اردو, Română)."""
    if code in _extra and code.startswith("en-"):
        return _extra[code].gettext("English")
    try:
        name = Locale.parse(code.replace("-", "_")).get_display_name(code.replace("-", "_")) or code
    except (ValueError, UnknownLocaleError):
        return code
    return name[:1].upper() + name[1:] if code.split("-")[0] in ("ro", "en") else name


def english_name(code: str | None) -> str:
    """The language named in English, for staff (Urdu); no language given: English."""
    if not code:
        return "English"
    try:
        return Locale.parse(code.replace("-", "_")).get_display_name("en") or code
    except (ValueError, UnknownLocaleError):
        return code


def install(code: str, catalogue: _gettext.NullTranslations) -> None:
    """Offer a catalogue built at run time (the tests' pseudo-locale); `uninstall` removes it."""
    _extra[code] = catalogue


def uninstall(code: str) -> None:
    _extra.pop(code, None)


@lru_cache(maxsize=16)
def _load(code: str) -> _gettext.NullTranslations:
    from babel.messages.mofile import write_mo
    from babel.messages.pofile import read_po
    from babel.support import Translations

    folder = LOCALE_DIR / code.replace("-", "_") / "LC_MESSAGES"
    mo, po = folder / f"{DOMAIN}.mo", folder / f"{DOMAIN}.po"
    if mo.is_file() and (not po.is_file() or mo.stat().st_mtime >= po.stat().st_mtime):
        return Translations.load(str(LOCALE_DIR), [code.replace("-", "_")], DOMAIN)
    if po.is_file():  # not compiled, or edited since: compiled in memory
        buf = io.BytesIO()
        with po.open("rb") as fh:
            write_mo(buf, read_po(fh, locale=code.replace("-", "_")))
        buf.seek(0)
        return Translations(buf, domain=DOMAIN)
    if code != SOURCE:
        log.warning("no catalogue for %s under %s: English is used", code, LOCALE_DIR)
    return _gettext.NullTranslations()


def translations(code: str | None = None) -> _gettext.NullTranslations:
    code = code or current()
    return _extra[code] if code in _extra else _load(code)


def current() -> str:
    return _current.get() or default()


def set_current(code: str | None):
    """Set the language for this context; returns a token for `reset_current`."""
    return _current.set(code)


def reset_current(token) -> None:
    _current.reset(token)


@contextmanager
def use(code: str | None) -> Iterator[str]:
    """Everything inside speaks `code` (None or a language not offered: the default)."""
    token = _current.set(normalise(code) or default())
    try:
        yield _current.get()
    finally:
        _current.reset(token)


def gettext(message: str) -> str:
    """`message` in the language in use; a `Message` is translated by its msgid, then filled in."""
    msgid = getattr(message, "msgid", None)
    if msgid is not None:
        text = translations().gettext(msgid)
        return text % message.values if message.values else text
    return translations().gettext(message)


def ngettext(singular: str, plural: str, n: int) -> str:
    return translations().ngettext(singular, plural, n)


def _(message: str, **values) -> str:
    """Translate `message` into the language in use; `%(name)s` placeholders are filled from `values`."""
    text = gettext(message)
    return text % values if values else text


def format_day(value, code: str | None = None) -> str:
    """18 November 2026 in the language (a date, a datetime, an ISO string, or English "Wednesday
    18 November 2026", which keeps its weekday); other values unchanged."""
    pattern = "d MMMM y"
    if isinstance(value, str):
        try:
            value = date.fromisoformat(value[:10])
        except ValueError:
            try:
                value, pattern = datetime.strptime(value.strip(), "%A %d %B %Y").date(), "EEEE d MMMM y"
            except ValueError:
                return value
    if isinstance(value, datetime):
        value = value.date()
    if not isinstance(value, date):
        return "" if value is None else str(value)
    try:
        return format_date(value, pattern, locale=babel_locale(code))
    except (ValueError, LookupError):
        return value.isoformat()


def format_month(value, code: str | None = None) -> str:
    """"2026-11" (or a date) -> "November 2026" in the language; anything else unchanged."""
    if isinstance(value, str):
        try:
            value = date.fromisoformat(value[:7] + "-01")
        except ValueError:
            return value
    if not isinstance(value, date):
        return "" if value is None else str(value)
    try:
        return format_date(value, "LLLL y", locale=babel_locale(code))
    except (ValueError, LookupError):
        return value.isoformat()[:7]


def format_money(value, code: str | None = None) -> str:
    """£6.80 as the language writes pounds (Romanian: 6,80 £); "£6.80" as typed is read too; not a
    number: unchanged."""
    try:
        amount = Decimal(str(value).strip().removeprefix("£").replace(",", ""))
    except (InvalidOperation, ValueError):
        return "" if value is None else str(value)
    return _pounds(amount, babel_locale(code))


@lru_cache(maxsize=4096)
def _pounds(amount: Decimal, locale: str) -> str:
    """Babel's currency formatting, remembered: an email shows five amounts or so, and Babel parsed
    its pattern and looked up the locale's symbols each time (10 % of an email's CPU, docs/performance.md
    issue 17 part 7). Equal amounts (6.8 and 6.80) are one key and write the same text."""
    # CLDR gives some languages the code (6,80 GBP); people there write the sign, as on the form
    return format_currency(amount, "GBP", locale=locale).replace("GBP", "£")


def format_number(value, code: str | None = None) -> str:
    try:
        return format_decimal(Decimal(str(value)), locale=babel_locale(code))
    except (InvalidOperation, ValueError):
        return "" if value is None else str(value)
