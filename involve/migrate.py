"""Run Alembic migrations programmatically (`involve db upgrade`, and `serve` before it starts)."""
from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory

from involve.db import get_engine
from involve.settings import settings

HERE = Path(__file__).resolve().parent / "migrations"


def alembic_config(url: str | None = None) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(HERE))
    cfg.set_main_option("sqlalchemy.url", (url or settings.database_url).replace("%", "%%"))
    return cfg


def current_revision(url: str | None = None) -> str | None:
    with get_engine(url).connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()


def head_revision() -> str | None:
    return ScriptDirectory.from_config(alembic_config()).get_current_head()


def upgrade(url: str | None = None) -> tuple[str | None, str | None]:
    """Migrate to head; returns (before, after)."""
    before = current_revision(url)
    if before != head_revision():
        command.upgrade(alembic_config(url), "head")
    return before, current_revision(url)


def ensure_current(url: str | None = None) -> None:
    if current_revision(url) != head_revision():
        upgrade(url)
