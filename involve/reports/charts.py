"""Small, dependency-free SVG charts for the reports (grouped bars and month columns).

Each chart is a standalone SVG file with width/height set (so browsers and WeasyPrint size it),
a <title> and <desc> for screen readers, and its figures printed on the bars; the HTML also
carries the same numbers in tables.
"""

from __future__ import annotations

import math
from xml.sax.saxutils import escape

COLOURS = ("#005eb8", "#ffb81c", "#330072", "#009639")  # NHS blue, warm yellow, purple, green
FONT = 'font-family="Arial, Helvetica, sans-serif"'
WIDTH = 720


def nice_max(value: float) -> float:
    """The smallest 'round' number (1, 2, 2.5, 5 × 10^n) at or above `value`."""
    if value <= 0:
        return 1.0
    base = 10 ** math.floor(math.log10(value))
    for step in (1, 2, 2.5, 5, 10):
        if step * base >= value:
            return step * base
    return 10 * base


def _fmt(value: float, unit: str) -> str:
    if unit == "£":
        return f"£{value:,.0f}" if value >= 1000 else f"£{value:,.2f}"
    text = f"{value:,.1f}".rstrip("0").rstrip(".")
    return f"{text}{unit}"


def _legend(series: list[tuple[str, list[float]]], y: int) -> list[str]:
    out, x = [], 16
    if len(series) < 2:
        return out
    for i, (name, _) in enumerate(series):
        out.append(f'<rect x="{x}" y="{y - 10}" width="12" height="12" fill="{COLOURS[i % len(COLOURS)]}"/>')
        out.append(f'<text x="{x + 18}" y="{y}" font-size="12" {FONT}>{escape(name)}</text>')
        x += 30 + 7 * len(name)
    return out


def _svg(title: str, desc: str, height: int, body: list[str]) -> str:
    return "\n".join(
        [
            f'<svg xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" height="{height}" '
            f'viewBox="0 0 {WIDTH} {height}" role="img" aria-labelledby="t d">',
            f'<title id="t">{escape(title)}</title>',
            f'<desc id="d">{escape(desc)}</desc>',
            f'<rect width="{WIDTH}" height="{height}" fill="#ffffff"/>',
            f'<text x="16" y="24" font-size="15" font-weight="bold" fill="#212b32" {FONT}>'
            f"{escape(title)}</text>",
            *body,
            "</svg>",
            "",
        ]
    )


def bars(title: str, labels: list[str], series: list[tuple[str, list[float | None]]], unit: str = "") -> str:
    """Horizontal grouped bars: one group per label, one bar per series. None draws no bar ("-")."""
    left = int(min(380, max(120, 24 + 6.4 * max((len(x) for x in labels), default=0))))
    right, bar_h, gap = 70, 14, 12
    top = 40 if len(series) < 2 else 58
    group_h = bar_h * len(series) + gap
    height = top + group_h * max(len(labels), 1) + 16
    top_value = nice_max(max([v for _, vs in series for v in vs if v is not None] or [0]))
    scale = (WIDTH - left - right) / top_value
    body = _legend(series, 46)
    for i, label in enumerate(labels):
        y0 = top + i * group_h
        body.append(
            f'<text x="{left - 8}" y="{y0 + bar_h * len(series) / 2 + 4:.0f}" font-size="12" '
            f'text-anchor="end" fill="#212b32" {FONT}>{escape(label)}</text>'
        )
        for j, (name, values) in enumerate(series):
            v, y = values[i], y0 + j * bar_h
            w = 0 if v is None else max(v * scale, 0)
            body.append(
                f'<rect x="{left}" y="{y}" width="{w:.1f}" height="{bar_h - 2}" '
                f'fill="{COLOURS[j % len(COLOURS)]}"><title>{escape(name)}: '
                f"{'-' if v is None else _fmt(v, unit)}</title></rect>"
            )
            body.append(
                f'<text x="{left + w + 4:.1f}" y="{y + bar_h - 4}" font-size="11" fill="#4c6272" {FONT}>'
                f"{'-' if v is None else escape(_fmt(v, unit))}</text>"
            )
    body.append(f'<line x1="{left}" y1="{top - 4}" x2="{left}" y2="{height - 12}" stroke="#768692"/>')
    return _svg(title, f"Bar chart: {', '.join(n for n, _ in series)} by {len(labels)} groups.", height, body)


def columns(title: str, labels: list[str], series: list[tuple[str, list[float]]], unit: str = "") -> str:
    """Vertical grouped columns (month by month), with a value axis of 4 gridlines."""
    left, right, top, bottom, height = 60, 16, 64, 40, 320
    plot_w, plot_h = WIDTH - left - right, height - top - bottom
    top_value = nice_max(max([v for _, vs in series for v in vs] or [0]))
    body = _legend(series, 46)
    for t in range(5):
        value = top_value * t / 4
        y = top + plot_h - plot_h * t / 4
        body.append(f'<line x1="{left}" y1="{y:.1f}" x2="{WIDTH - right}" y2="{y:.1f}" stroke="#d8dde0"/>')
        body.append(
            f'<text x="{left - 6}" y="{y + 4:.1f}" font-size="11" text-anchor="end" fill="#4c6272" '
            f"{FONT}>{escape(_fmt(value, unit))}</text>"
        )
    slot = plot_w / max(len(labels), 1)
    col_w = max((slot - 8) / max(len(series), 1), 2)
    for i, label in enumerate(labels):
        x0 = left + i * slot + 4
        for j, (name, values) in enumerate(series):
            h = values[i] / top_value * plot_h
            body.append(
                f'<rect x="{x0 + j * col_w:.1f}" y="{top + plot_h - h:.1f}" width="{col_w - 1:.1f}" '
                f'height="{h:.1f}" fill="{COLOURS[j % len(COLOURS)]}"><title>{escape(label)} '
                f"{escape(name)}: {escape(_fmt(values[i], unit))}</title></rect>"
            )
        body.append(
            f'<text x="{x0 + slot / 2 - 4:.1f}" y="{height - bottom + 16}" font-size="11" '
            f'text-anchor="middle" fill="#212b32" {FONT}>{escape(label)}</text>'
        )
    body.append(
        f'<line x1="{left}" y1="{top + plot_h}" x2="{WIDTH - right}" y2="{top + plot_h}" stroke="#768692"/>'
    )
    return _svg(
        title, f"Column chart: {', '.join(n for n, _ in series)} for {len(labels)} periods.", height, body
    )
