"""Render a report: Jinja2 HTML from `templates/reports/`, SVG chart files, the CSV, and a PDF
when WeasyPrint is installed and works on this machine (skipped with a note otherwise)."""

from __future__ import annotations

import os
from functools import lru_cache
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

from involve.domain.names import BOROUGH_NAMES
from involve.reports.figures import Figures
from involve.settings import PROJECT_ROOT

TEMPLATES = PROJECT_ROOT / "templates" / "reports"

KINDS = {
    "meeting": "Meetings",
    "interview_panel": "Interview panels",
    "consultation": "Consultation and monitoring",
    "training_delivery": "Training delivered to staff",
    "training_received": "Training received",
    "forum_meeting": "User forum meetings",
    "ward_visit": "Ward visits",
    "survey": "Surveys",
    "cpa_audit": "CPA audits",
    "staff_training": "Staff training (programme)",
    "governance": "Governance meetings",
    "other": "Other activities",
}
STAFF_GROUP_NAMES = {
    "senior_manager": "Senior managers",
    "clinician": "Clinicians",
    "social_worker": "Social workers",
    "cpn": "CPNs",
    "nurse": "Nurses",
    "occupational_therapist": "OTs",
    "psychologist": "Psychologists",
    "psychotherapist": "Psychotherapists",
    "other": "Other staff",
}
MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


def label(key: str | None, by: str | None = None) -> str:
    """A readable label for a category key of the breakdown `by` (activity kind, borough, staff group)."""
    if key is None:
        return "All"
    tables = {"activity_kind": (KINDS,), "borough": (BOROUGH_NAMES,), "staff_group": (STAFF_GROUP_NAMES,)}
    for names in tables.get(by or "", (KINDS, BOROUGH_NAMES, STAFF_GROUP_NAMES)):
        if key in names:
            return names[key]
    return answer(key)


def answer(key: str) -> str:
    """A self-declared answer as a label ("not_stated" reads "Not stated")."""
    return key.replace("_", " ").capitalize() if key.islower() else key


def number(value: str) -> str:
    """A figure for reading: thousands separated ("12,345", "1,234.50"); text such as "<5" unchanged."""
    sign, digits = (value[0], value[1:]) if value and value[0] in "+-" else ("", value)
    whole, _, pence = digits.partition(".")
    if not whole.isdigit() or (pence and not pence.isdigit()):
        return value
    return f"{sign}{int(whole):,}" + (f".{pence}" if pence else "")


def month_label(ym: str) -> str:
    year, month = ym.split("-")
    return f"{MONTHS[int(month) - 1]} {year}"


@lru_cache(maxsize=1)
def _env() -> Environment:
    env = Environment(
        loader=FileSystemLoader(str(TEMPLATES)),
        undefined=StrictUndefined,
        autoescape=select_autoescape(enabled_extensions=("html.j2",)),
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.globals.update(label=label, month_label=month_label, answer=answer)
    env.filters["n"] = number
    return env


def write_outputs(
    out_dir: Path,
    template: str,
    figures: Figures,
    charts: dict[str, str],
    context: dict[str, Any],
    pdf: bool = True,
) -> dict[str, Path]:
    """Write charts/*.svg, report.csv, report.html (and report.pdf); returns the paths written.
    Files are written beside and renamed into place, so a reader never sees half a report."""
    html = (
        _env()
        .get_template(template)
        .render(f=figures, charts={n: f"charts/{n}.svg" for n in charts}, **context)
    )
    out_dir.mkdir(parents=True, exist_ok=True)
    paths: dict[str, Path] = {}
    if charts:
        (out_dir / "charts").mkdir(exist_ok=True)
    for name, svg in charts.items():
        paths[name] = _atomic(out_dir / "charts" / f"{name}.svg", svg)
    figures.write_csv(out_dir / "report.csv")  # atomic: involve.csvfile
    paths["csv"] = out_dir / "report.csv"
    paths["html"] = _atomic(out_dir / "report.html", html)
    if pdf:
        written, note = write_pdf(paths["html"], out_dir / "report.pdf")
        if written:
            paths["pdf"] = written
        context["pdf_note"] = note
    return paths


def write_pdf(html_path: Path, pdf_path: Path) -> tuple[Path | None, str]:
    """(path, note): the PDF via WeasyPrint, or (None, why it was skipped)."""
    try:
        from weasyprint import HTML
    except Exception as exc:  # noqa: BLE001 - ImportError, or OSError when Pango is missing
        return None, f"PDF skipped: WeasyPrint is not usable here ({type(exc).__name__})"
    try:
        HTML(filename=str(html_path), base_url=str(html_path.parent)).write_pdf(str(pdf_path))
    except Exception as exc:  # noqa: BLE001 - a PDF is a convenience; the HTML and CSV stand
        return None, f"PDF skipped: {type(exc).__name__}: {exc}"
    return pdf_path, f"PDF written: {pdf_path}"


def _atomic(path: Path, text: str) -> Path:
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, path)
    return path
