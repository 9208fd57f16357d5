"""The pseudo-locale `en-XA`: every message of the catalogue template, accented and about 40 % longer
(`Claim sent` -> `[Çļåîɱ šéñţ ·····]`), placeholders and markup kept. Rendering a page or an email
in it shows at once any English left (a string not through gettext) and any layout that breaks with
longer text. Built from the sources, as `make messages` extracts them (babel.cfg), so a string added
without `make messages` is found too.
"""
from __future__ import annotations

import io
import math
import os
import re
from functools import lru_cache
from html.parser import HTMLParser
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.extract import extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.mofile import write_mo
from babel.support import Translations

ROOT = Path(__file__).resolve().parents[1]
CODE = "en-XA"
SKIP_DIRS = {".venv", "var", "node_modules", "tests", "bench", "screenshots", ".git", "__pycache__"}
ACCENTS = dict(zip("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ",
                   "åƀçðéƒĝĥîĵķļɱñöþǫŕšţûṽŵẋýžÅƁÇÐÉƑĜĤÎĴĶĻṀÑÖÞǪŔŠŢÛṼŴẊÝŽ", strict=True))
KEEP = re.compile(r"%\([a-z_]+\)[sd]|%%|<[^>]+>|&[a-z]+;|\{[^}]*\}")
# Words that stay as they are in every language: link words the contract fixes (`Confirm: <url>`),
# the units and names shown beside translated text.
UNTRANSLATED_OK = {"NHS", "BSL", "HR", "GBP", "PDF", "CSV", "Accept", "Decline", "Confirm", "Withdraw"}


def pseudo(text: str) -> str:
    out, last = [], 0
    for m in KEEP.finditer(text):
        out.append("".join(ACCENTS.get(c, c) for c in text[last:m.start()]))
        out.append(m.group(0))
        last = m.end()
    out.append("".join(ACCENTS.get(c, c) for c in text[last:]))
    visible = len(KEEP.sub("", text))
    return "[" + "".join(out) + " " + "·" * max(1, math.ceil(visible * 0.4) - 3) + "]"


@lru_cache(maxsize=1)
def messages() -> dict:
    """{msgid (or (singular, plural)): flags} extracted from the sources with babel.cfg."""
    with (ROOT / "babel.cfg").open() as fh:
        method_map, options_map = parse_mapping_cfg(fh)
    found = {}
    for _file, _line, msgid, _comments, _context in extract_from_dir(
            str(ROOT), method_map, options_map, keywords={"_": None, "gettext": None, "ngettext": (1, 2),
                                                         "N_": None},
            directory_filter=lambda path: os.path.basename(path) not in SKIP_DIRS):
        found[msgid] = True
    return found


@lru_cache(maxsize=1)
def translations() -> Translations:
    catalog = Catalog(locale="en_GB", domain="messages")
    for msgid in messages():
        if isinstance(msgid, tuple):
            catalog.add(msgid, tuple(pseudo(m) for m in msgid))
        elif msgid:
            catalog.add(msgid, pseudo(msgid))
    buf = io.BytesIO()
    write_mo(buf, catalog)
    buf.seek(0)
    return Translations(buf, domain="messages")


class _Text(HTMLParser):
    """Text a person meets: text nodes and the attributes read aloud or shown (alt, aria-label,
    title, placeholder, value of buttons), minus <script>, <style> and parts marked in another
    language (`lang` differs from the page's: the language links, the language names)."""

    SKIP = {"script", "style"}
    VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr"}

    def __init__(self, page_lang: str):
        super().__init__(convert_charrefs=True)
        self.page_lang, self.stack, self.chunks = page_lang, [], []

    def _skipping(self) -> bool:
        return any(tag in self.SKIP or (lang and lang != self.page_lang) for tag, lang in self.stack)

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag not in self.VOID:
            self.stack.append((tag, a.get("lang")))
        if self._skipping() or (a.get("lang") and a.get("lang") != self.page_lang):
            return
        for name in ("alt", "aria-label", "title", "placeholder"):
            if a.get(name):
                self.chunks.append(a[name])
        if tag == "input" and a.get("type") in ("submit", "button") and a.get("value"):
            self.chunks.append(a["value"])

    def handle_endtag(self, tag):
        for i in range(len(self.stack) - 1, -1, -1):
            if self.stack[i][0] == tag:
                del self.stack[i:]
                break

    def handle_data(self, data):
        if not self._skipping() and data.strip():
            self.chunks.append(data)


def visible_text(html: str) -> list[str]:
    m = re.search(r'<html[^>]*\blang="([^"]+)"', html)
    parser = _Text(m.group(1) if m else CODE)
    parser.feed(html)
    return parser.chunks


def english_left(chunks: list[str], values: tuple[str, ...] = ()) -> list[str]:
    """The pieces of text with unaccented English words in them, once the known values (names,
    references, addresses, amounts) and the link lines (`Confirm: <url>`) are taken out."""
    left = []
    for chunk in chunks:
        text = re.sub(r"^\s*\w[\w ]*: *https?://\S+\s*$", " ", chunk, flags=re.M)
        text = re.sub(r"https?://\S+|\S+@\S+", " ", text)
        # dates are Babel's (the pseudo-locale formats them as British English)
        text = re.sub(r"\b(?:[A-Z][a-z]+day )?\d{1,2} [A-Z][a-z]+ \d{4}\b", " ", text)
        text = re.sub(r"\b(?:January|February|March|April|May|June|July|August|September|October|November|"
                      r"December) \d{4}\b", " ", text)  # a month and year (the `month` filter)
        for value in sorted((v for v in values if v), key=len, reverse=True):
            text = text.replace(value, " ")
        words = [w for w in re.findall(r"[A-Za-z]{2,}", text) if w not in UNTRANSLATED_OK]
        if words:
            left.append(" ".join(chunk.split())[:160])
    return left
