"""Translations for the pages: every string goes through gettext, so a translation is one file away.

Catalogues live in involve/locale/<lang>/LC_MESSAGES/messages.(mo|po); `make messages` extracts the
template (.pot). A .po dropped in without compiling still works: it is compiled in memory. With no
catalogue for INVOLVE_LANGUAGE the pages show the English source strings.
"""
from __future__ import annotations

import gettext
import io
import logging
from functools import lru_cache
from pathlib import Path

from involve.settings import settings

LOCALE_DIR = Path(__file__).resolve().parents[1] / "locale"
DOMAIN = "messages"
log = logging.getLogger("involve.web")


def N_(message: str) -> str:  # noqa: N802 - the usual gettext marker: extracted, translated later
    return message


@lru_cache(maxsize=8)
def translations(language: str) -> gettext.NullTranslations:
    from babel.messages.mofile import write_mo
    from babel.messages.pofile import read_po
    from babel.support import Translations

    folder = LOCALE_DIR / language / "LC_MESSAGES"
    if (folder / f"{DOMAIN}.mo").is_file():
        return Translations.load(str(LOCALE_DIR), [language], DOMAIN)
    po = folder / f"{DOMAIN}.po"
    if po.is_file():
        buf = io.BytesIO()
        with po.open("rb") as fh:
            write_mo(buf, read_po(fh, locale=language))
        buf.seek(0)
        return Translations(buf, domain=DOMAIN)
    if language != "en":
        log.warning("no translation for INVOLVE_LANGUAGE=%s under %s: pages are in English",
                    language, LOCALE_DIR)
    return gettext.NullTranslations()


def current() -> gettext.NullTranslations:
    return translations(settings.language)


def _(message: str, **values) -> str:
    """Translate `message`; `%(name)s` placeholders are filled from `values`."""
    text = current().gettext(message)
    return text % values if values else text
