"""Server-rendered pages: one Jinja2 environment over templates/pages, and `render_page`."""
from __future__ import annotations

from datetime import date
from functools import lru_cache
from typing import Any

from babel.dates import format_date
from fastapi.responses import HTMLResponse
from jinja2 import (
    ChainableUndefined,
    ChoiceLoader,
    Environment,
    FileSystemLoader,
    PackageLoader,
    select_autoescape,
)

from involve.settings import PROJECT_ROOT, settings
from involve.web import assets, i18n, labels

PAGES = PROJECT_ROOT / "templates" / "pages"


@lru_cache(maxsize=1)
def page_env() -> Environment:
    loaders = [FileSystemLoader(str(PAGES))]
    try:
        loaders.append(PackageLoader("nhsuk_frontend_jinja"))
    except (ModuleNotFoundError, ValueError):
        pass
    # ChainableUndefined: the nhsuk-frontend-jinja macros read optional nested parameters
    env = Environment(loader=ChoiceLoader(loaders), autoescape=select_autoescape(default=True),
                      trim_blocks=True, lstrip_blocks=True, undefined=ChainableUndefined,
                      extensions=["jinja2.ext.i18n", "jinja2.ext.do"])
    env.install_gettext_translations(i18n.current(), newstyle=True)
    env.filters["day"] = long_date
    env.globals.update(asset_version=assets.VERSION, involve_asset_version=assets.OWN_VERSION,
                       static_css=f"/static/{assets.CSS}", static_js=f"/static/{assets.JS}", assetPath="/static/assets",
                       language=settings.language.replace("_", "-"), **labels.ALL)
    return env


def long_date(value) -> str:
    """18 November 2026 (in the page language); other values unchanged."""
    if isinstance(value, str):
        try:
            value = date.fromisoformat(value[:10])
        except ValueError:
            return value
    if not isinstance(value, date):
        return "" if value is None else str(value)
    locale = "en_GB" if settings.language == "en" else settings.language
    try:
        return format_date(value, "d MMMM y", locale=locale)
    except (ValueError, LookupError):
        return value.isoformat()


def render_page(template: str, status_code: int = 200, **context: Any) -> HTMLResponse:
    context.setdefault("frontend", assets.available())
    html = page_env().get_template(template).render(**context)
    return HTMLResponse(html, status_code=status_code)
