"""Server-rendered pages: one Jinja2 environment over templates/pages, and `render_page`."""
from __future__ import annotations

from functools import lru_cache
from typing import Any

from fastapi.responses import HTMLResponse
from jinja2 import ChoiceLoader, Environment, FileSystemLoader, PackageLoader, select_autoescape

from involve.settings import PROJECT_ROOT

PAGES = PROJECT_ROOT / "templates" / "pages"


@lru_cache(maxsize=1)
def page_env() -> Environment:
    loaders = [FileSystemLoader(str(PAGES))]
    try:
        loaders.append(PackageLoader("nhsuk_frontend_jinja"))
    except (ModuleNotFoundError, ValueError):
        pass
    env = Environment(loader=ChoiceLoader(loaders), autoescape=select_autoescape(default=True),
                      trim_blocks=True, lstrip_blocks=True)
    return env


def render_page(template: str, status_code: int = 200, **context: Any) -> HTMLResponse:
    html = page_env().get_template(template).render(**context)
    return HTMLResponse(html, status_code=status_code)
