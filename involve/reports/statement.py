"""A person's payments statement as files: statement.csv, statement.html and (when WeasyPrint works
here) statement.pdf. The text says what it is for (benefits, tax) and that expenses are not earnings."""
from __future__ import annotations

import csv
import io
import os
from pathlib import Path

from involve.reports.render import write_pdf
from involve.views.claimant import Statement

HEADER = ["paid_on", "reference", "activity", "activity_date", "fee_paid", "expenses_paid", "total_paid"]


def _cell(value: str) -> str:
    """A spreadsheet shows a cell starting with = + - @ tab or CR as text, never as a formula."""
    return "'" + value if value[:1] in ("=", "+", "-", "@", "\t", "\r") else value


def statement_csv(st: Statement) -> str:
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(HEADER)
    for x in st.lines:
        w.writerow([x.paid_on.isoformat(), x.reference, _cell(x.activity_title), x.activity_date.isoformat(),
                    f"{x.fee_paid:.2f}", f"{x.expenses_paid:.2f}", f"{x.total:.2f}"])
    w.writerow(["total", "", "", "", f"{st.fee_paid:.2f}", f"{st.expenses_paid:.2f}", f"{st.total:.2f}"])
    return buf.getvalue()


def statement_html(st: Statement) -> str:
    from involve.web.pages import contact, page_env

    return page_env().get_template("statement_document.html").render(st=st, contact=contact())


def write_statement(st: Statement, out_dir: Path) -> dict[str, Path]:
    out_dir.mkdir(parents=True, exist_ok=True)
    paths = {"csv": _atomic(out_dir / "statement.csv", statement_csv(st)),
             "html": _atomic(out_dir / "statement.html", statement_html(st))}
    pdf, _note = write_pdf(paths["html"], out_dir / "statement.pdf")
    if pdf:
        paths["pdf"] = pdf
    return paths


def statement_pdf(st: Statement) -> bytes | None:
    try:
        from weasyprint import HTML
    except Exception:  # noqa: BLE001 - ImportError, or OSError when Pango is missing
        return None
    try:
        return HTML(string=statement_html(st)).write_pdf()
    except Exception:  # noqa: BLE001 - the page and the CSV stand without it
        return None


def _atomic(path: Path, text: str) -> Path:
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, path)
    return path
