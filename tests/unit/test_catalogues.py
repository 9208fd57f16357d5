"""The shipped catalogues (involve/locale/<code>/LC_MESSAGES/messages.po): complete against the strings in
the sources, placeholders intact, plural forms right, compiled without errors, and marked as
machine-assisted until a qualified translator has reviewed them. Also the language rules."""
from __future__ import annotations

import io
import re

import pytest
from babel.messages import checkers
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

from involve import i18n
from involve.domain.languages import language_tag, reading_format
from tests import pseudo_locale as px

SHIPPED = ("ur", "ro")
PLACEHOLDER = re.compile(r"%\([a-z_]+\)[sd]")


def catalogue(code: str):
    with (i18n.LOCALE_DIR / code / "LC_MESSAGES" / "messages.po").open("rb") as fh:
        return read_po(fh, locale=code)


@pytest.mark.parametrize("code", SHIPPED)
def test_catalogue_has_every_message_translated(code):
    cat = catalogue(code)
    translated = {m.id for m in cat if m.id and m.string and all(m.string if isinstance(m.string, tuple)
                                                                   else [m.string]) and not m.fuzzy}
    missing = [m for m in px.messages() if m and m not in translated]
    assert not missing, f"{code}: {len(missing)} untranslated (run `make messages`, then translate): {missing[:5]}"


@pytest.mark.parametrize("code", SHIPPED)
def test_catalogue_placeholders_and_plurals_are_right(code):
    cat = catalogue(code)
    broken = []
    for m in cat:
        if not m.id:
            continue
        ids = m.id if isinstance(m.id, tuple) else (m.id,)
        strings = m.string if isinstance(m.string, tuple) else (m.string,)
        wanted = set(PLACEHOLDER.findall(" ".join(ids)))
        for s in strings:
            if set(PLACEHOLDER.findall(s)) - wanted or (wanted - set(PLACEHOLDER.findall(s)) - {"%(num)s"}):
                broken.append((m.id, s))
        for check in (checkers.python_format, checkers.num_plurals):
            try:
                check(cat, m)
            except Exception as exc:  # noqa: BLE001 - TranslationError: the catalogue is wrong
                broken.append((m.id, str(exc)))
    assert not broken, broken[:5]
    assert cat.num_plurals == {"ur": 2, "ro": 3}[code]


@pytest.mark.parametrize("code", SHIPPED)
def test_catalogue_compiles_and_says_it_needs_review(code):
    buf = io.BytesIO()
    write_mo(buf, catalogue(code))
    assert buf.tell() > 1000
    head = (i18n.LOCALE_DIR / code / "LC_MESSAGES" / "messages.po").read_text(encoding="utf-8")[:600]
    assert "MACHINE-ASSISTED" in head and "qualified" in head and "translator" in head


@pytest.mark.parametrize("code", SHIPPED)
def test_no_translation_opens_with_a_value_the_english_does_not(code):
    """A plain-text email line must never start with text from a form (it could forge a link line),
    so a translation may put a placeholder first only where the English does."""
    opening = [m.id for m in catalogue(code) if m.id and isinstance(m.string, str)
               and m.string.startswith("%(") and not m.id.startswith("%(")]
    assert not opening, opening


def test_a_broken_placeholder_is_found():
    cat = catalogue("ro")
    m = cat.get("Dear %(name)s,")
    m.string = "Stimate %(nume)s,"
    with pytest.raises(Exception, match="placeholder"):
        checkers.python_format(cat, m)


def test_pseudo_locale_is_accented_and_longer():
    text = px.pseudo("Your claim %(ref)s is approved.")
    assert "%(ref)s" in text and "Ýöûŕ" in text and len(text) >= len("Your claim %(ref)s is approved.") * 1.3
    assert px.english_left(["Your claim"]) == ["Your claim"]
    assert px.english_left([px.pseudo("Your claim")]) == []


def test_offered_languages_and_their_direction():
    assert i18n.offered()[0] == "en" and {"ur", "ro"} <= set(i18n.offered())
    assert i18n.direction("ur") == "rtl" and i18n.direction("ro") == "ltr" and i18n.direction("ur-PK") == "rtl"
    assert i18n.normalise("UR-pk") == "ur" and i18n.normalise("pl") is None
    assert i18n.from_accept_language("pl, ro;q=0.5, ur;q=0.8") == "ur"
    assert i18n.from_accept_language("*, en;q=0") is None
    assert i18n.native_name("ur") == "اردو" and i18n.native_name("ro") == "Română"
    assert i18n.english_name("ur") == "Urdu" and i18n.english_name(None) == "English"


def test_language_tags_and_formats():
    assert language_tag("UR") == "ur" and language_tag("pa_arab") == "pa-Arab" and language_tag("en-gb") == "en-GB"
    for bad in ("", "x", "english!", "en--GB", 7):
        with pytest.raises(ValueError):
            language_tag(bad)
    assert reading_format("Easy Read") == "easy_read" and reading_format("large-print") == "large_print"
    with pytest.raises(ValueError):
        reading_format("braille")


def test_form_providers_map_language_and_format():
    from involve.intake.providers import _convert, load_mapping

    mapping = load_mapping()
    assert [_convert("code:language", v, mapping) for v in ("Urdu", "اردو", "Română")] == ["ur", "ur", "ro"]
    assert language_tag(_convert("code:language", "ur-PK", mapping)) == "ur-PK"
    assert _convert("code:format", "Large print", mapping) == "large_print"
    assert mapping.typeform["claimant_language"] == "claimant.language"


def test_a_message_with_values_is_translated_then_filled():
    """A rule's message with a value (never an f-string): English as text, translated where shown."""
    from involve.domain.register_fields import TEXT_LIMIT, check_details
    from involve.errors import InvolveError
    from involve.web.i18n import said

    _changes, errors = check_details({"access_needs": "x" * (TEXT_LIMIT + 1)})
    message = errors["access_needs"]
    assert message == f"Use {TEXT_LIMIT} characters or fewer"  # as text: the English, filled in
    with i18n.use("ro"):
        assert i18n.gettext(message) == f"Folosiți cel mult {TEXT_LIMIT} de caractere"
        assert said(InvolveError(message)) == i18n.gettext(message)
        assert said(InvolveError("not a catalogue message")) == "not a catalogue message"
    with i18n.use("ur"):
        assert str(TEXT_LIMIT) in i18n._(message) and i18n._(message) != message


def _python_sources() -> list:
    import ast
    from pathlib import Path

    root = Path(__file__).resolve().parents[2]
    names = re.findall(r"^\[python: (.+)\]$", (root / "babel.cfg").read_text(), re.M)
    return [(path, ast.parse(path.read_text())) for name in names for path in sorted(root.glob(name))]


def test_no_message_for_people_is_built_with_an_f_string():
    """An f-string cannot be in a catalogue: `_()`, `N_()`, `Message()` and form errors take a
    placeholder (`%(limit)s`) and their values instead, in every module `make messages` reads."""
    import ast

    found = []
    for path, tree in _python_sources():
        for node in ast.walk(tree):
            name = getattr(node, "func", None) and getattr(node.func, "id", getattr(node.func, "attr", ""))
            if name in ("_", "N_", "gettext", "ngettext", "Message") and any(
                    isinstance(a, ast.JoinedStr) for a in node.args):
                found.append(f"{path.name}:{node.lineno}")
            if isinstance(node, ast.Assign) and isinstance(node.value, ast.JoinedStr) and any(
                    isinstance(t, ast.Subscript) and getattr(t.value, "id", "") == "errors" for t in node.targets):
                found.append(f"{path.name}:{node.lineno}")
    assert not found, found
