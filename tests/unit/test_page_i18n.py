"""Every page string goes through gettext: a .po file dropped into involve/locale is used."""
from __future__ import annotations

from involve import i18n


def test_a_po_file_is_a_translation(tmp_path, monkeypatch):
    folder = tmp_path / "cy" / "LC_MESSAGES"
    folder.mkdir(parents=True)
    (folder / "messages.po").write_text(
        'msgid ""\nmsgstr ""\n"Content-Type: text/plain; charset=UTF-8\\n"\n\n'
        'msgid "Claim a payment"\nmsgstr "Hawlio taliad"\n', encoding="utf-8")
    monkeypatch.setattr(i18n, "LOCALE_DIR", tmp_path)
    i18n._load.cache_clear()
    try:
        assert i18n.translations("cy").gettext("Claim a payment") == "Hawlio taliad"
        assert i18n.translations("en").gettext("Claim a payment") == "Claim a payment"
        assert "cy" in i18n.shipped()
    finally:
        i18n._load.cache_clear()


def test_the_pot_template_lists_page_and_email_strings():
    pot = (i18n.LOCALE_DIR / "messages.pot").read_text(encoding="utf-8")
    for text in ("Check your answers", "There is a problem", "Staff sign in", "How do you want to be paid?",
                 "Thank you for your time and expertise."):
        assert f'msgid "{text}"' in pot
