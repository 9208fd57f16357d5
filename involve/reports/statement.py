"""A person's payments statement as files: statement.csv, statement.html and (when WeasyPrint works
here) statement.pdf, in the person's language and reading format. The text says what it is for
(benefits, tax) and that expenses are not earnings.

Language: the one asked for, else the person's (register entry, else latest claim), else
INVOLVE_LANGUAGE. Right-to-left languages (Urdu) are laid out right to left, references and amounts
kept left to right. Large print follows RNIB / UKAAF clear print guidance (docs/languages.md); Easy Read
is short sentences in everyday words, one idea a line, at 16 pt (`_statement_easy.html`). Fonts
are found by fontconfig by family name: Noto Naskh Arabic (Debian `fonts-noto-core`) for Urdu, a
sans serif for the rest (`FONTS`).

The CSV keeps numbers and dates as a spreadsheet reads them (62.00, 2026-11-18); its header row and
the total row's label are in the person's language, and it starts with a UTF-8 byte order mark so
that Excel reads Urdu and Romanian letters right.
"""
from __future__ import annotations

import csv
import io
from pathlib import Path

from involve import i18n
from involve.csvfile import safe_cell, write_bytes
from involve.i18n import N_
from involve.views.claimant import Statement

HEADER = (N_("Paid on"), N_("Claim"), N_("Activity"), N_("Activity date"), N_("Involvement fee (£)"),
          N_("Expenses (£)"), N_("Total paid (£)"))
BOM = "\ufeff"
# fontconfig family names, first found wins; every one sans serif (Naskh is the plain, unslanted
# Arabic-script style Urdu readers know from print and screens)
FONTS = {"ltr": ("Noto Sans", "Liberation Sans", "Arial", "DejaVu Sans", "sans-serif"),
         "rtl": ("Noto Naskh Arabic", "Noto Sans Arabic", "Nafees Web Naskh", "Noto Sans", "DejaVu Sans",
                 "sans-serif")}
LARGE_FORMATS = ("large_print",)


def choose(st: Statement, language: str | None = None, reading_format: str | None = None) -> tuple[str, str]:
    """(language, format) to write `st` in: as asked, else the person's own, else the defaults."""
    code = i18n.normalise(language) or i18n.normalise(st.language) or i18n.default()
    fmt = reading_format if reading_format in i18n.FORMATS else st.reading_format
    return code, fmt if fmt in i18n.FORMATS else "standard"


def statement_csv(st: Statement, language: str | None = None) -> str:
    code, _fmt = choose(st, language)
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    with i18n.use(code):
        w.writerow([i18n.gettext(h) for h in HEADER])
        for x in st.lines:
            w.writerow([x.paid_on.isoformat(), x.reference, safe_cell(x.activity_title), x.activity_date.isoformat(),
                        f"{x.fee_paid:.2f}", f"{x.expenses_paid:.2f}", f"{x.total:.2f}"])
        w.writerow([i18n.gettext("Total"), "", "", "", f"{st.fee_paid:.2f}", f"{st.expenses_paid:.2f}",
                    f"{st.total:.2f}"])
    return BOM + buf.getvalue()


def statement_html(st: Statement, language: str | None = None, reading_format: str | None = None) -> str:
    from involve.web.pages import contact, page_env

    code, fmt = choose(st, language, reading_format)
    with i18n.use(code) as code:
        direction = i18n.direction(code)
        return page_env().get_template("statement_document.html").render(
            st=st, contact=contact(), language=code, direction=direction, large=fmt in LARGE_FORMATS,
            easy=fmt == "easy_read",
            fonts=", ".join(FONTS[direction]))  # unquoted family names: valid CSS, nothing to escape


def write_statement(st: Statement, out_dir: Path, language: str | None = None,
                    reading_format: str | None = None) -> dict[str, Path]:
    out_dir.mkdir(parents=True, exist_ok=True)
    html = statement_html(st, language, reading_format)
    paths = {"csv": write_bytes(out_dir / "statement.csv", statement_csv(st, language).encode("utf-8")),
             "html": write_bytes(out_dir / "statement.html", html.encode("utf-8"))}
    if (pdf := _pdf(html)) is not None:
        paths["pdf"] = write_bytes(out_dir / "statement.pdf", pdf)
    return paths


def statement_pdf(st: Statement, language: str | None = None, reading_format: str | None = None) -> bytes | None:
    return _pdf(statement_html(st, language, reading_format))


def _pdf(html: str) -> bytes | None:
    try:
        from weasyprint import HTML
    except Exception:  # noqa: BLE001 - ImportError, or OSError when Pango is missing
        return None
    try:
        return HTML(string=html).write_pdf()
    except Exception:  # noqa: BLE001 - the page and the CSV stand without it
        return None
