"""The payments statement as the person gets it (issue 16): the CSV and the PDF in their language
(the pseudo-locale en-XA finds any English left in the PDF's text or the CSV's header), Urdu right
to left in a font that has its letters, and large print that follows clear print guidance, read
back from the PDF as drawn (tests/clear_print.py). No database: the statement is built here."""
from __future__ import annotations

import csv
import io
import re
from datetime import date
from decimal import Decimal

import pytest

from involve import i18n
from involve.reports.statement import HEADER, statement_csv, statement_html, statement_pdf
from involve.views.claimant import Statement, StatementLine
from tests import clear_print
from tests import pseudo_locale as px

pytest.importorskip("weasyprint")
LINES = [StatementLine(date(2026, 11, 18), "CLM-2026-000123", "Ƒöŕûɱ ɱééţîñĝ", date(2026, 11, 10),
                       Decimal("25.00"), Decimal("6.80"), Decimal("31.80")),
         StatementLine(date(2027, 1, 5), "CLM-2026-000456", "Îñţéŕṽîéŵ ƥåñéļ", date(2026, 12, 20),
                       Decimal("50.00"), Decimal("12.40"), Decimal("62.40"))]
ST = Statement("sam@example.org", "Ŝåɱîŕå Ķĥåñ", "2026-27", date(2026, 4, 6), date(2027, 4, 5), LINES,
               language="ur", reading_format="large_print")
VALUES = ("Ŝåɱîŕå Ķĥåñ", "sam@example.org", "CLM-2026-000123", "CLM-2026-000456", "2026-27")


@pytest.fixture(scope="module")
def pseudo():
    i18n.install(px.CODE, px.translations())
    yield px.CODE
    i18n.uninstall(px.CODE)


@pytest.fixture(scope="module")
def pdfs(pseudo):
    """One PDF per case, made once (WeasyPrint takes most of a second for each): both layouts in the
    pseudo-locale (40 % longer text), and Urdu in large print."""
    cases = {"pseudo": (pseudo, "standard"), "pseudo-large": (pseudo, "large_print"), "ur-large": ("ur", "large_print"),
             "pseudo-easy": (pseudo, "easy_read")}
    made = {name: statement_pdf(ST, language, fmt) for name, (language, fmt) in cases.items()}
    if not all(made.values()):
        pytest.fail("WeasyPrint is installed but wrote no PDF (is Pango there?)")
    return made


def test_pseudo_locale_csv_header_and_total_have_no_english_left(pseudo):
    rows = list(csv.reader(io.StringIO(statement_csv(ST, pseudo).lstrip("\ufeff"))))
    header, total = rows[0], rows[-1]
    assert len(header) == len(HEADER) and px.english_left(header + total[:1]) == []
    assert total[4:] == ["75.00", "19.20", "94.20"]  # numbers as a spreadsheet reads them, in any language


@pytest.mark.parametrize("case", ["pseudo", "pseudo-large", "pseudo-easy"])
def test_pseudo_locale_pdf_has_no_english_left(pdfs, case):
    text = " ".join(clear_print.pdf_text(pdfs[case]).split())  # table cells wrap dates over lines
    assert "Ŝåɱîŕå Ķĥåñ" in text and "£25.00" in text
    sentences = re.split(r"(?<=[\].])\s+", text)  # so a failure names the sentence left in English
    assert px.english_left(sentences, VALUES) == []


def test_an_untranslated_string_in_the_statement_is_found(pseudo, monkeypatch):
    """The check can fail: a sentence that skips gettext stays English in the pseudo-locale."""
    from involve.reports import statement as module

    monkeypatch.setattr(module, "HEADER", (*module.HEADER[:-1], "Total paid, not translated"))
    header = next(csv.reader(io.StringIO(statement_csv(ST, pseudo).lstrip("\ufeff"))))
    assert px.english_left(header) == ["Total paid, not translated"]


def test_csv_in_urdu_and_romanian_opens_in_a_spreadsheet():
    ur, ro = statement_csv(ST, "ur"), statement_csv(ST, "ro")
    assert ur.startswith("\ufeff") and ro.startswith("\ufeff")  # Excel reads it as UTF-8
    with i18n.use("ur"):
        assert next(csv.reader(io.StringIO(ur.lstrip("\ufeff"))))[0] == i18n.gettext("Paid on") != "Paid on"
    assert "Data plății" in ro and ro.splitlines()[-1].startswith("Total,")
    assert statement_csv(ST).splitlines()[0] == ur.splitlines()[0]  # no language asked: theirs (ur)


def test_urdu_statement_is_right_to_left_in_a_font_with_urdu_letters(pdfs):
    html = statement_html(ST)  # their own language and format
    assert '<html lang="ur" dir="rtl">' in html and "Noto Naskh Arabic" in html
    assert '<bdi dir="ltr">CLM-2026-000123</bdi>' in html and '<bdi dir="ltr">2026-27</bdi>' in html
    fonts = {r["font"] for r in clear_print.pdf_runs(pdfs["ur-large"])}
    assert any(f.startswith("Noto-Naskh-Arabic") for f in fonts), (
        f"{fonts}: no Urdu font; install Debian's fonts-noto-core (docs/languages.md)")
    assert not any("DejaVu" in f for f in fonts), fonts  # DejaVu has no ے or ہ: letters would be missing
    text = clear_print.pdf_text(pdfs["ur-large"])
    assert "ادائیگی" in text.replace("\n", " ") or "ادائیگی" in text[::-1]
    assert clear_print.pdf_problems(pdfs["ur-large"], left_margin_pt=None) == []


def test_large_print_statement_follows_clear_print(pdfs):
    assert clear_print.pdf_problems(pdfs["pseudo-large"]) == []  # with 40 % longer text
    runs = clear_print.pdf_runs(pdfs["pseudo-large"])
    headings = [r for r in runs if r["size"] > 20]
    assert headings and all("Bold" in r["font"] for r in headings)
    reference = [r for r in runs if "CLM-2026-000123" in r["text"]]
    assert reference and reference[0]["size"] >= 18
    # the standard print statement is not large print: the check tells them apart
    assert any("under 18 pt" in p for p in clear_print.pdf_problems(pdfs["pseudo"]))


def test_easy_read_statement_is_short_lines_at_16_pt_without_a_table(pdfs):
    html = statement_html(ST, "en", "easy_read")
    body = html.split("</style>")[1]
    assert "<table" not in body and "Expenses are not pay." in body
    assert 'We paid you <bdi dir="ltr">£31.80</bdi>.' in body
    assert 'Your claim number is <bdi dir="ltr">CLM-2026-000123</bdi>.' in body
    runs = clear_print.pdf_runs(pdfs["pseudo-easy"])
    assert runs and min(r["size"] for r in runs if r["text"].strip()) >= 16
    text = " ".join(clear_print.pdf_text(pdfs["pseudo-easy"]).split())
    assert "£94.20" in text  # the total, last
