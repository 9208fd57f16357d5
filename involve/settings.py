"""Settings: one class, one module-level `settings`, environment prefix INVOLVE_.

Secrets that default to "generated on first run" live under ./var, so the serve process and
the CLI in the same folder agree on them. A bad setting raises `SettingsError` naming the
variable; the CLI turns it into one clear line and exit 2.
"""
from __future__ import annotations

import base64
import os
import secrets
from functools import cached_property
from pathlib import Path
from urllib.parse import urlsplit

from pydantic import ValidationError, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from involve.errors import SettingsError

PROJECT_ROOT = Path(__file__).resolve().parents[1]
DEFAULT_POLICY_FILE = Path(__file__).resolve().parent / "default-policy.toml"
VAR_DIR = Path("var")


def _stored_secret(name: str, make) -> str:
    """A secret kept in ./var/NAME, created on first use (mode 600)."""
    path = VAR_DIR / name
    if path.exists():
        return path.read_text().strip()
    VAR_DIR.mkdir(parents=True, exist_ok=True)
    value = make()
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as fh:
        fh.write(value + "\n")
    return value


def new_webhook_secret() -> str:
    return "whsec_" + base64.b64encode(secrets.token_bytes(32)).decode()


def new_data_key() -> str:
    return base64.urlsafe_b64encode(secrets.token_bytes(32)).decode()


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="INVOLVE_", env_file=".env", extra="ignore")

    database_url: str = "sqlite:///./var/involve.db"
    smtp_url: str | None = None
    mail_from: str = "involvement@localhost"
    finance_email: str = "finance@localhost"
    base_url: str = "http://127.0.0.1:8000"
    webhook_secret: str | None = None
    typeform_secret: str | None = None
    tally_secret: str | None = None
    policy_file: Path = DEFAULT_POLICY_FILE
    provider_mapping_file: Path | None = None
    runner: str = "embedded"
    # after a start, /health answers 503 until the local Prefect API serve started answers, for at
    # most this long (0: answer at once); the first claim then does not wait for it
    runner_ready_wait_seconds: float = 20.0
    data_key: str | None = None
    link_max_age_days: int = 14
    mail_dir: Path = Path("var/mail")
    outbox_lease_seconds: float = 300.0  # a crashed sender's leased emails go out again after this
    # outbox retries: base * 2**(attempt-1), capped (tests shorten the base)
    smtp_retry_base_seconds: float = 30.0
    smtp_retry_max_seconds: float = 3600.0
    # how long a SQLite writer waits for the lock before the request answers 503
    sqlite_busy_timeout_seconds: float = 30.0
    # retention (docs/retention.md): payment records, years after the financial year ends;
    # register people, years after their last involvement
    retention_payment_years: int = 7
    retention_register_years: int = 3
    frontend_dir: Path | None = None  # nhsuk-frontend dist folder; default var/frontend (make install)
    language: str = "en"  # pages: a Babel locale with a compiled catalogue under involve/locale

    @field_validator("database_url")
    @classmethod
    def _database_url(cls, v: str) -> str:
        from sqlalchemy.engine import make_url

        try:
            make_url(v)
        except Exception as exc:  # noqa: BLE001 - any parse failure is the same message
            raise ValueError(f"not a database URL: {exc}") from None
        return v

    @field_validator("smtp_url")
    @classmethod
    def _smtp_url(cls, v: str | None) -> str | None:
        if v in (None, ""):
            return None
        parts = urlsplit(v)
        if parts.scheme not in ("smtp", "smtp+starttls", "smtps") or not parts.hostname:
            raise ValueError("expected smtp://host:port, smtp+starttls://user:pass@host:587 or smtps://host")
        try:
            parts.port  # noqa: B018 - raises on a bad port
        except ValueError:
            raise ValueError("the port is not a number") from None
        return v

    @field_validator("webhook_secret", "typeform_secret", "tally_secret")
    @classmethod
    def _empty_is_unset(cls, v: str | None) -> str | None:
        return v or None

    @field_validator("webhook_secret")
    @classmethod
    def _whsec(cls, v: str | None) -> str | None:
        if v is None:
            return v
        if not v.startswith("whsec_"):
            raise ValueError("a Standard Webhooks secret starts with 'whsec_'")
        try:
            base64.b64decode(v.removeprefix("whsec_"), validate=True)
        except Exception:  # noqa: BLE001
            raise ValueError("the part after 'whsec_' is not base64") from None
        return v

    @field_validator("runner")
    @classmethod
    def _runner(cls, v: str) -> str:
        if v not in ("embedded", "deployments"):
            raise ValueError("expected 'embedded' or 'deployments'")
        return v

    @field_validator("policy_file")
    @classmethod
    def _policy_file(cls, v: Path) -> Path:
        if not v.is_file():
            raise ValueError(f"no such file: {v}")
        return v

    @cached_property
    def resolved_webhook_secret(self) -> str:
        return self.webhook_secret or _stored_secret("webhook-secret", new_webhook_secret)

    @cached_property
    def resolved_data_keys(self) -> list[str]:
        """Fernet keys, newest first; INVOLVE_DATA_KEY may list several (comma-separated) to rotate."""
        raw = self.data_key or _stored_secret("data-key", new_data_key)
        return [k.strip() for k in raw.split(",") if k.strip()]

    @cached_property
    def link_secret(self) -> str:
        """Signs action links; derived from the data key so every process agrees on it."""
        import hashlib

        return hashlib.sha256(b"involve-links:" + self.resolved_data_keys[0].encode()).hexdigest()

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")


def load_settings() -> Settings:
    try:
        return Settings()
    except ValidationError as exc:
        err = exc.errors()[0]
        field = str(err["loc"][0]) if err.get("loc") else "?"
        msg = err.get("msg", "invalid").removeprefix("Value error, ")
        raise SettingsError(f"INVOLVE_{field.upper()}: {msg}") from None


class _LazySettings:
    """`settings` is loaded on first attribute access, so a bad variable surfaces where the CLI
    can report it, and tests can call `reset_settings()` after changing the environment."""

    _current: Settings | None = None

    def __getattr__(self, name: str):
        if _LazySettings._current is None:
            _LazySettings._current = load_settings()
        return getattr(_LazySettings._current, name)


settings: Settings = _LazySettings()  # type: ignore[assignment]


def reset_settings() -> None:
    _LazySettings._current = None
