"""Checks of RNIB / UKAAF clear print guidance on what we send people in large print: the styles each
piece of text really gets (an email's inline styles cascaded as a mail program does; a PDF's fonts,
sizes and line starts as drawn), and what breaks the guidance.

Large print: text at least 18 pt (24 px), a sans serif, aligned to the start of the line (never
justified or centred), line spacing at least 1.5, no italics or block capitals, bold headings at
least as large as the text, one column, no text on a picture or a coloured panel.
"""
from __future__ import annotations

import io
import re
from html.parser import HTMLParser

MIN_PX, MIN_PT = 24.0, 18.0
SANS = ("arial", "verdana", "helvetica", "tahoma", "sans-serif", "segoe ui", "noto sans", "noto naskh arabic",
        "noto sans arabic", "dejavu sans", "liberation sans")
# what a browser gives these elements before any style (the parts that matter here)
UA = {"h1": {"font-size": "2em", "font-weight": "bold"}, "h2": {"font-size": "1.5em", "font-weight": "bold"},
      "h3": {"font-size": "1.17em", "font-weight": "bold"}, "h4": {"font-weight": "bold"},
      "th": {"font-weight": "bold", "text-align": "center"}, "strong": {"font-weight": "bold"},
      "b": {"font-weight": "bold"}, "em": {"font-style": "italic"}, "i": {"font-style": "italic"},
      "cite": {"font-style": "italic"}, "var": {"font-style": "italic"}, "address": {"font-style": "italic"},
      "small": {"font-size": "0.83em"}, "sub": {"font-size": "0.83em"}, "sup": {"font-size": "0.83em"},
      "pre": {"font-family": "monospace"}, "code": {"font-family": "monospace"}, "tt": {"font-family": "monospace"}}
INHERITED = ("font-size", "font-family", "font-style", "font-weight", "text-align", "text-transform", "line-height")
VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr"}
HEADINGS = ("h1", "h2", "h3", "h4")


def _declarations(style: str) -> dict[str, str]:
    out = {}
    for part in style.split(";"):
        name, sep, value = part.partition(":")
        if sep:
            out[name.strip().lower()] = value.strip().lower()
    return out


def _px(value: str, parent_px: float) -> float:
    value = value.strip()
    if value.endswith("px"):
        return float(value[:-2])
    if value.endswith("pt"):
        return float(value[:-2]) * 4 / 3
    if value.endswith("em"):
        return float(value[:-2]) * parent_px
    if value.endswith("%"):
        return float(value[:-1]) / 100 * parent_px
    return {"smaller": parent_px / 1.2, "larger": parent_px * 1.2}.get(value, parent_px)


class _Cascade(HTMLParser):
    """Each text node with the styles it inherits (inline styles over the browser's defaults)."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        root = {"font-size": "16px", "font-family": "serif", "font-style": "normal", "font-weight": "normal",
                "text-align": "start", "text-transform": "none", "line-height": "normal"}
        self.stack = [("#root", root, {"px": 16.0, "background": False})]
        self.texts: list[tuple[str, str, dict, dict]] = []  # (text, tag path, computed, flags)
        self.elements: list[tuple[str, dict, tuple[str, ...]]] = []  # (tag, own declarations, ancestors)

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        own = {**UA.get(tag, {}), **_declarations(a.get("style") or "")}
        parent_tag, parent, flags = self.stack[-1]
        computed = {k: parent[k] for k in INHERITED}
        computed.update({k: v for k, v in own.items() if k in INHERITED})
        px = _px(own["font-size"], flags["px"]) if "font-size" in own else flags["px"]
        computed["font-size"] = f"{px}px"
        background = flags["background"] or any(
            k in ("background", "background-color", "background-image") and v not in ("#fff", "#ffffff", "white",
                                                                                       "transparent", "none")
            for k, v in own.items())
        self.elements.append((tag, own, tuple(t for t, _c, _f in self.stack)))
        if tag in VOID:
            return
        self.stack.append((tag, computed, {"px": px, "background": background}))

    def handle_endtag(self, tag):
        for i in range(len(self.stack) - 1, 0, -1):
            if self.stack[i][0] == tag:
                del self.stack[i:]
                break

    def handle_data(self, data):
        if data.strip() and not any(t in ("style", "script", "title", "head") for t, _c, _f in self.stack):
            tag, computed, flags = self.stack[-1]
            path = "/".join(t for t, _c, _f in self.stack[1:])
            self.texts.append((" ".join(data.split()), path, dict(computed, px=flags["px"]), flags))


def _line_height_ok(value: str, px: float) -> bool:
    if value == "normal":
        return False
    try:
        return (_px(value, px) if value[-1:].isalpha() or value.endswith("%") else float(value) * px) >= 1.5 * px - 0.01
    except ValueError:
        return False


def _caps_block(text: str) -> bool:
    """Three or more words in capitals in a row (references and short abbreviations are fine)."""
    return bool(re.search(r"\b[A-Z]{2,}(?:\s+[A-Z]{2,}){2,}\b", text))


def email_problems(html: str, direction: str = "ltr") -> list[str]:
    """Where an email's HTML part breaks large print clear print guidance (empty: none)."""
    cascade = _Cascade()
    cascade.feed(html)
    problems = []
    start = "right" if direction == "rtl" else "left"
    for text, path, c, flags in cascade.texts:
        where = f"{path}: {text[:50]!r}"
        px = c["px"]
        family = c["font-family"].split(",")[0].strip().strip("'\"").lower()
        if px < MIN_PX - 0.01:
            problems.append(f"{where}: {px:.1f}px is under {MIN_PX:.0f}px (18 pt)")
        if family not in SANS:
            problems.append(f"{where}: font {family!r} is not a plain sans serif")
        if c["font-style"] in ("italic", "oblique"):
            problems.append(f"{where}: italic")
        if c["text-transform"] == "uppercase" or _caps_block(text):
            problems.append(f"{where}: block capitals")
        if c["text-align"] not in ("start", start):
            problems.append(f"{where}: aligned {c['text-align']}, not to the start of the line")
        if not _line_height_ok(c["line-height"], px):
            problems.append(f"{where}: line spacing {c['line-height']} is under 1.5")
        if flags["background"]:
            problems.append(f"{where}: text on a coloured panel or picture")
        heading = next((h for h in HEADINGS if f"/{h}" in f"/{path}"), None)
        if heading and (c["font-weight"] not in ("bold", "bolder", "700", "800", "900") or px < MIN_PX):
            problems.append(f"{where}: heading not bold, or smaller than the text")
    for tag, own, ancestors in cascade.elements:
        if tag == "img" or "url(" in " ".join(own.values()):
            problems.append(f"<{tag}>: a picture (no text over pictures in large print; give it in words)")
        if own.get("float", "none") != "none" or own.get("columns") or own.get("column-count") \
                or own.get("display") in ("flex", "grid", "inline-block", "table-cell") \
                or own.get("position") in ("absolute", "fixed"):
            problems.append(f"<{tag} style=…>: more than one column ({own})")
        if tag in ("p", "div", "h1", "h2", "h3", "ul", "ol", "table") and "td" in ancestors:
            problems.append(f"<{tag}> inside a table cell: a layout table (one column only)")
    if not cascade.texts:
        problems.append("no text")
    return problems


# ---- PDF ------------------------------------------------------------------------------------------

def pdf_runs(data: bytes) -> list[dict]:
    """Every run of text a PDF draws: page, x, y (points from the bottom left), font, size in points."""
    from pypdf import PdfReader

    runs = []
    for number, page in enumerate(PdfReader(io.BytesIO(data)).pages, 1):
        def visit(text, cm, tm, font, size, number=number):
            if text.strip():
                scale = abs(tm[0] * cm[0]) or abs(cm[0]) or 1
                runs.append({"page": number, "x": round(tm[4] * cm[0] + cm[4], 1),
                             "y": round(tm[5] * cm[3] + cm[5], 1),
                             "font": str((font or {}).get("/BaseFont", "")).split("+")[-1],
                             "size": round(size * scale, 2), "text": text.strip()})
        page.extract_text(visitor_text=visit)
    return runs


def pdf_text(data: bytes) -> str:
    from pypdf import PdfReader

    return "\n".join(page.extract_text() or "" for page in PdfReader(io.BytesIO(data)).pages)


def pdf_problems(data: bytes, left_margin_pt: float | None = 56.7) -> list[str]:
    """Where a large print PDF breaks clear print guidance: text under 18 pt, a font that is not a
    plain sans serif or is italic, headings not bold, and (left to right) a line that does not
    start at the left margin (centred, indented or a second column)."""
    runs = pdf_runs(data)
    problems = []
    for r in runs:
        where = f"page {r['page']} {r['text'][:40]!r}"
        font = r["font"].lower().replace("-", " ")
        if r["size"] < MIN_PT - 0.05:
            problems.append(f"{where}: {r['size']} pt is under {MIN_PT:.0f} pt")
        if not any(f in font for f in ("sans", "arial", "verdana", "helvetica", "naskh")) or "mono" in font:
            problems.append(f"{where}: font {r['font']} is not a plain sans serif")
        if "italic" in font or "oblique" in font:
            problems.append(f"{where}: italic font {r['font']}")
        if r["size"] >= MIN_PT + 2 and "bold" not in font:
            problems.append(f"{where}: a heading ({r['size']} pt) not in bold")
    if left_margin_pt is not None:
        lines: dict[tuple[int, float], float] = {}
        for r in runs:
            key = (r["page"], r["y"])
            lines[key] = min(lines.get(key, r["x"]), r["x"])
        for (page, y), x in sorted(lines.items()):
            if abs(x - left_margin_pt) > 1.5:
                problems.append(f"page {page} line at y={y}: starts at x={x}, not the left margin {left_margin_pt}")
    if not runs:
        problems.append("no text")
    return problems
