"""The inline styles of an email's HTML part, by the reader's format and the text's direction.

Mail programs drop style sheets, so every element's style is written on it: templates say
`style="{{ css.h2 }}"` and `render` passes `css = styles(format, direction)`.

Large print follows the RNIB "clear print" and UKAAF large print guidance:
- text at least 18 pt (24 px) everywhere, the contact line too; headings larger and bold;
- a plain sans serif (Arial, Verdana); aligned to the start of the line (left, or right in a
  right-to-left language), never justified or centred;
- line spacing 1.5 and space between paragraphs; no italics, no underlining but links, no block
  capitals;
- one column, and no text on a coloured panel or picture: the blue banner becomes a bold heading
  over a rule, the green buttons bold underlined links.
"""
from __future__ import annotations

SANS = "Arial, Verdana, Helvetica, sans-serif"
RTL_SANS = "'Noto Naskh Arabic', 'Noto Sans Arabic', 'Segoe UI', Tahoma, Arial, sans-serif"
LARGE_PX = 24  # 18 pt: RNIB / UKAAF large print is 16 to 18 pt and up


def styles(reading_format: str = "standard", direction: str = "ltr") -> dict[str, str]:
    """Element -> inline style for an email in `reading_format` written `direction`."""
    start, end = ("right", "left") if direction == "rtl" else ("left", "right")
    family = RTL_SANS if direction == "rtl" else SANS
    if reading_format == "large_print":
        px = LARGE_PX
        return {
            "body": f"font-family: {family}; font-size: {px}px; line-height: 1.5; color: #212b32; "
                    f"background: #ffffff; text-align: {start}; font-style: normal; max-width: 800px;",
            "banner": f"font-size: {px + 4}px; font-weight: bold; color: #212b32; "
                      "border-bottom: 4px solid #005eb8; padding: 0 0 8px; margin: 0 0 24px;",
            "h2": f"font-size: {px + 6}px; font-weight: bold; line-height: 1.5; margin: 32px 0 12px;",
            "button": "color: #005eb8; font-weight: bold; text-decoration: underline;",
            "table": "border-collapse: collapse; margin: 16px 0;",
            "th": f"text-align: {start}; vertical-align: top; font-weight: bold; padding: 8px 0; padding-{end}: 24px;",
            "td": "vertical-align: top; padding: 8px 0;",
            "quote": f"border-{start}: 6px solid #005eb8; margin: 0; padding-{start}: 16px;",
            "footer": f"color: #212b32; font-size: {px}px; margin-top: 32px;",
        }
    return {
        "body": f"font-family: {family}; font-size: 19px; line-height: 1.5; color: #212b32; max-width: 640px;",
        "banner": "background: #005eb8; color: #ffffff; padding: 8px 12px; font-weight: bold;",
        "h2": f"font-size: {24 if reading_format == 'easy_read' else 22}px; font-weight: bold;",
        "button": "background: #007f3b; color: #ffffff; padding: 8px 16px; text-decoration: none;",
        "table": "border-collapse: collapse; margin: 12px 0;",
        "th": f"text-align: {start}; vertical-align: top; padding: 4px 0; padding-{end}: 12px;",
        "td": "vertical-align: top;",
        "quote": f"border-{start}: 4px solid #005eb8; margin: 0; padding-{start}: 12px;",
        "footer": "color: #4c6272; font-size: 16px;",
    }
