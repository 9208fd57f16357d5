"""NHS.UK frontend CSS/JS, served under /static.

`make install` puts the npm package nhsuk-frontend (the version matching nhsuk-frontend-jinja) in
var/frontend; nothing is copied into the repository. Without it the pages still work, unstyled.
"""
from __future__ import annotations

import logging
from pathlib import Path

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles

from involve.settings import PROJECT_ROOT, settings

log = logging.getLogger("involve.web")
VERSION = "10.6.1"  # nhsuk-frontend; matches nhsuk-frontend-jinja 0.10.2
DEFAULT_DIR = PROJECT_ROOT / "var" / "frontend" / "node_modules" / "nhsuk-frontend" / "dist" / "nhsuk"
CSS = "nhsuk-frontend.min.css"
JS = "nhsuk-frontend.min.js"
OWN_VERSION = "1"  # involve/web/static (bump when those files change, so browsers fetch them again)


def frontend_dir() -> Path:
    return Path(settings.frontend_dir) if settings.frontend_dir else DEFAULT_DIR


def available() -> bool:
    return (frontend_dir() / CSS).is_file()


def mount(app: FastAPI) -> bool:
    """Serve the compiled assets at /static (and their images at /assets, where the CSS points)."""
    folder = frontend_dir()
    if not available():
        log.warning("NHS.UK frontend assets not found in %s: pages work but are unstyled "
                    "(run `make install`, which needs npm)", folder)
        return False
    app.mount("/static", StaticFiles(directory=folder), name="static")
    app.mount("/assets", StaticFiles(directory=folder / "assets"), name="nhsuk-assets")
    return True
