"""Every page string goes through gettext: a .po file dropped into involve/locale is used."""
from __future__ import annotations

from involve.web import i18n


def test_a_po_file_is_a_translation(tmp_path, monkeypatch):
    folder = tmp_path / "cy" / "LC_MESSAGES"
    folder.mkdir(parents=True)
    (folder / "messages.po").write_text(
        'msgid ""\nmsgstr ""\n"Content-Type: text/plain; charset=UTF-8\\n"\n\n'
        'msgid "Claim a payment"\nmsgstr "Hawlio taliad"\n', encoding="utf-8")
    monkeypatch.setattr(i18n, "LOCALE_DIR", tmp_path)
    i18n.translations.cache_clear()
    try:
        assert i18n.translations("cy").gettext("Claim a payment") == "Hawlio taliad"
        assert i18n.translations("en").gettext("Claim a payment") == "Claim a payment"
    finally:
        i18n.translations.cache_clear()


def test_the_pot_template_lists_page_strings():
    pot = (i18n.LOCALE_DIR / "messages.pot").read_text(encoding="utf-8")
    for text in ("Check your answers", "There is a problem", "Staff sign in", "How do you want to be paid?"):
        assert f'msgid "{text}"' in pot
