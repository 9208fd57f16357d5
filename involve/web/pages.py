"""Server-rendered pages: one Jinja2 environment over templates/pages, and `render_page`.

One environment serves every language: `_()` and `ngettext()` in templates read the language in use
(involve.i18n), which the request sets (involve.web.i18n) or `render_page(..., locale=)` overrides.
"""
from __future__ import annotations

from functools import lru_cache
from typing import Any

from fastapi.responses import HTMLResponse
from jinja2 import (
    ChainableUndefined,
    ChoiceLoader,
    Environment,
    FileSystemLoader,
    PackageLoader,
    select_autoescape,
)
from markupsafe import Markup, escape

from involve import i18n
from involve.settings import PROJECT_ROOT
from involve.web import assets, claimant_labels, labels
from involve.web.i18n import STAFF_PATHS, here

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
    env.install_gettext_callables(i18n.gettext, i18n.ngettext, newstyle=True)
    env.filters.update(day=long_date, when=date_and_time, money=i18n.format_money, number=i18n.format_number,
                       ltr=left_to_right)
    files = assets.bundle()
    prefix = files.prefix if files else "/static"
    env.globals.update(involve_asset_version=assets.OWN_VERSION,
                       static_css=f"{prefix}/{assets.CSS}", static_js=f"{prefix}/{assets.JS}",
                       assetPath=f"{prefix}/assets",
                       language_name=i18n.native_name, english_name=i18n.english_name, contact=contact,
                       **labels.ALL, CLAIMANT_STATUSES=claimant_labels.STATUSES,
                       CLAIMANT_EXPENSES=claimant_labels.EXPENSES)
    return env


def contact() -> dict:
    """Who people contact (INVOLVE_CONTACT_*), for every page footer."""
    from involve.mail.render import contact as mail_contact

    return mail_contact()


def left_to_right(value) -> Markup:
    """A reference, an email address or a number kept left to right inside any sentence."""
    return Markup('<bdi dir="ltr">%s</bdi>') % escape(value)


def long_date(value) -> str:
    """18 November 2026 (in the page language); other values unchanged."""
    return i18n.format_day(value)


def date_and_time(value) -> str:
    """18 November 2026, 14:05 (London time) from an ISO timestamp; other values unchanged."""
    from datetime import datetime
    from zoneinfo import ZoneInfo

    try:
        moment = datetime.fromisoformat(value) if isinstance(value, str) else value
        local = moment.astimezone(ZoneInfo("Europe/London"))
    except (TypeError, ValueError, AttributeError):
        return "" if value is None else str(value)
    return f"{long_date(local.date())}, {local:%H:%M}"


def language_links() -> list[dict]:
    """The language switch: every offered language named in itself, linking to this page in it."""
    path = here.get()
    if path.startswith(STAFF_PATHS):
        return []
    return [{"code": code, "name": i18n.native_name(code), "href": f"{path}?lang={code}",
             "current": code == i18n.current(), "dir": i18n.direction(code)} for code in i18n.offered()]


def render_page(template: str, status_code: int = 200, locale: str | None = None, **context: Any) -> HTMLResponse:
    """The page in `locale` (default: the request's language), with <html lang> and dir set."""
    context.setdefault("frontend", assets.available())
    with i18n.use(locale or i18n.current()) as code:
        html = page_env().get_template(template).render(
            language=code, direction=i18n.direction(code), languages=language_links(), **context)
    return HTMLResponse(html, status_code=status_code, headers={"Content-Language": code})
