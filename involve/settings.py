"""Settings: one class, one module-level `settings`, environment prefix INVOLVE_.

Longer than ~300 lines on purpose: every setting of the service in one class, so a newcomer (and the
README's table) finds each in one place.

Everything the installation keeps on disk (generated secrets, the embedded database, mail, payment-run
files) lives under `<INVOLVE_HOME>/var`, INVOLVE_HOME defaulting to the project root: `serve`, the CLI
and workers agree on them whatever folder they are started from. Relative paths in settings are
resolved against INVOLVE_HOME too. A bad setting raises `SettingsError` naming the variable; the CLI
turns it into one clear line and exit 2.

Keys (each rotatable on its own, newest first, comma-separated): INVOLVE_DATA_KEY encrypts bank
details at rest; INVOLVE_LINK_KEY signs action links, sign-in links, sessions, CSRF and API tokens;
INVOLVE_AUDIT_KEY seals and signs the audit chain (never stored in the database).
"""
from __future__ import annotations

import base64
import os
import secrets
from functools import cached_property
from pathlib import Path
from typing import Literal
from urllib.parse import urlsplit

from pydantic import SecretStr, ValidationError, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from involve.errors import SettingsError

PROJECT_ROOT = Path(__file__).resolve().parents[1]
DEFAULT_POLICY_FILE = Path(__file__).resolve().parent / "default-policy.toml"


def home() -> Path:
    """INVOLVE_HOME (default: the project root), read on each call so tests can change it."""
    raw = os.environ.get("INVOLVE_HOME", "").strip()
    return Path(raw).expanduser().resolve() if raw else PROJECT_ROOT


def var_dir() -> Path:
    return home() / "var"


def __getattr__(name: str):
    """`VAR_DIR` (older code) is <INVOLVE_HOME>/var, computed when read."""
    if name == "VAR_DIR":
        return var_dir()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
DEFAULT_TARGETS_FILE = Path(__file__).resolve().parent / "data" / "targets.toml"


def _stored_secret(name: str, make) -> str:
    """A secret kept in <home>/var/NAME, created on first use (mode 600, never world-readable)."""
    folder = var_dir()
    path = folder / name
    if path.exists():
        return path.read_text().strip()
    folder.mkdir(parents=True, exist_ok=True)
    value = make()
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:  # another process made it meanwhile: use theirs
        return path.read_text().strip()
    with os.fdopen(fd, "w") as fh:
        fh.write(value + "\n")
        fh.flush()
        os.fsync(fh.fileno())
    return value


def new_webhook_secret() -> str:
    return "whsec_" + base64.b64encode(secrets.token_bytes(32)).decode()


def new_data_key() -> str:
    return base64.urlsafe_b64encode(secrets.token_bytes(32)).decode()


def new_link_key() -> str:
    return secrets.token_urlsafe(32)


def new_audit_key() -> str:
    """An Ed25519 private key: its 32-byte seed, url-safe base64."""
    return base64.urlsafe_b64encode(secrets.token_bytes(32)).decode()


def _key_list(raw: str) -> list[str]:
    return [k.strip() for k in raw.split(",") if k.strip()]


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="INVOLVE_", env_file=".env", extra="ignore",
                                      validate_default=True)

    database_url: str = ""  # default: sqlite under <INVOLVE_HOME>/var/involve.db
    smtp_url: str | None = None
    mail_from: str = "involvement@localhost"
    finance_email: str = "finance@localhost"
    base_url: str = "http://127.0.0.1:8000"
    webhook_secret: str | None = None
    typeform_secret: str | None = None
    tally_secret: str | None = None
    policy_file: Path = DEFAULT_POLICY_FILE
    targets_file: Path = DEFAULT_TARGETS_FILE  # the annual report's targets per year (target against actual)
    provider_mapping_file: Path | None = None
    runner: str = "embedded"
    # where the web app stores claims: "process", a child of its own (two cores: intake alone 2,216-2,398
    # -> 2,912-3,116 req/s, docs/performance.md issue 17), or "thread", in the web process
    intake_writer: Literal["process", "thread"] = "process"
    # after a start, /health answers 503 until the local Prefect API serve started answers, for at
    # most this long (0: answer at once); the first claim then does not wait for it
    runner_ready_wait_seconds: float = 20.0
    data_key: str | None = None
    link_key: str | None = None  # default: generated under var/; "new,old" keeps old links valid
    audit_key: str | None = None  # default: generated under var/
    audit_email: str | None = None  # receives the signed audit chain head daily
    link_max_age_days: int = 14
    staff_session_idle_minutes: int = 30  # a staff session ends after this long without a request
    mail_dir: Path = Path("var/mail")  # relative paths are under INVOLVE_HOME
    outbox_lease_seconds: float = 300.0  # a crashed sender's leased emails go out again after this
    # SMTP connections one sender uses at once: a relay answering in tens of milliseconds keeps
    # one connection waiting most of the time (docs/performance.md, issue 17 part 5)
    smtp_connections: int = 4
    # emails one sender leases at a time: small, so that senders on other workers share a backlog
    outbox_batch: int = 50
    # outbox retries: base * 2**(attempt-1), capped (tests shorten the base)
    smtp_retry_base_seconds: float = 30.0
    smtp_retry_max_seconds: float = 3600.0
    # an email still not accepted after this many attempts is marked failed (never retried for ever)
    smtp_max_attempts: int = 12
    # how long a SQLite writer waits for the lock before the request answers 503
    sqlite_busy_timeout_seconds: float = 30.0
    # retention (docs/retention.md): payment records, years after the financial year ends;
    # register people, years after their last involvement
    retention_payment_years: int = 7
    retention_register_years: int = 3
    payment_run_file_days: int = 30  # payment-run files (full bank details) are deleted after this
    # rate limits per client address (the `limits` notation: "N/second|minute|hour")
    rate_limit_form: str = "30/minute"
    rate_limit_signin: str = "10/minute"
    rate_limit_status: str = "20/minute"  # the claim status lookup: `dependencies=[rate_limited("status")]`
    frontend_dir: Path | None = None  # nhsuk-frontend dist folder; default var/frontend (make install)
    # the claimant's side: who people contact, and how long payment takes after approval
    contact_name: str = "Service User and Carer Involvement Co-ordinator"
    contact_email: str = "involvement@localhost"
    contact_phone: str | None = None
    payment_days: int = 10  # working days (England and Wales bank holidays excluded)
    # receipts: "database" (encrypted rows) or a folder path (encrypted files); S3-style storage can follow
    receipt_storage: str = "database"
    # Typeform/Tally file-upload answers: the hosts their receipt files may be fetched from, comma-separated
    # (e.g. "api.typeform.com,storage.tally.so"); empty: not fetched, the file URL is kept as the receipt
    receipt_fetch_hosts: str = ""
    typeform_token: SecretStr | None = None  # a Typeform personal token (read responses): its file URLs need it
    language: str = "en"  # the default language (BCP 47) when a person has not chosen one
    languages: str | None = None  # languages offered, comma-separated; default: en plus every shipped catalogue
    # finance: the originator of Bacs Standard 18 files (service user number, account, name)
    bacs_sun: str | None = None
    bacs_sort_code: str | None = None
    bacs_account: str | None = None
    bacs_name: str | None = None
    # a claim whose payee's bank details changed within this many days is flagged bank_details_changed
    bank_details_changed_days: int = 30
    # a claim ready to pay without usable bank details: its person is asked (a `Payment details:` link)
    # at most this many times in all, a link's life (INVOLVE_LINK_MAX_AGE_DAYS) apart; then the
    # co-ordinators are told
    payment_details_asks: int = 3

    @field_validator("database_url")
    @classmethod
    def _database_url(cls, v: str) -> str:
        from sqlalchemy.engine import make_url

        if not v.strip():
            return f"sqlite:///{var_dir() / 'involve.db'}"
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

    @field_validator("payment_days")
    @classmethod
    def _payment_days(cls, v: int) -> int:
        if v < 0 or v > 100:
            raise ValueError("expected a number of working days from 0 to 100")
        return v

    @field_validator("receipt_fetch_hosts")
    @classmethod
    def _fetch_hosts(cls, v: str) -> str:
        import ipaddress
        import re

        hosts = [h.strip().lower().rstrip(".") for h in v.split(",") if h.strip()]
        for h in hosts:
            try:
                ipaddress.ip_address(h.strip("[]"))
                continue
            except ValueError:
                pass
            if not re.fullmatch(r"[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)*", h):
                raise ValueError(f"{h!r} is not a host name; list host names only, like "
                                 "api.typeform.com,storage.tally.so")
        return ",".join(hosts)

    @property
    def receipt_fetch_host_set(self) -> frozenset[str]:
        return frozenset(h.strip("[]") for h in self.receipt_fetch_hosts.split(",") if h)

    @field_validator("typeform_token")
    @classmethod
    def _token(cls, v: SecretStr | None) -> SecretStr | None:
        return v if v is not None and v.get_secret_value().strip() else None

    @field_validator("contact_phone")
    @classmethod
    def _contact_phone(cls, v: str | None) -> str | None:
        return (v or "").strip() or None

    @field_validator("webhook_secret", "typeform_secret", "tally_secret", "link_key", "audit_key", "audit_email")
    @classmethod
    def _empty_is_unset(cls, v: str | None) -> str | None:
        return v or None

    @field_validator("mail_dir", "frontend_dir")
    @classmethod
    def _under_home(cls, v: Path | None) -> Path | None:
        return v if v is None or v.is_absolute() else home() / v

    @field_validator("rate_limit_form", "rate_limit_signin", "rate_limit_status")
    @classmethod
    def _rate_limit(cls, v: str) -> str:
        from limits import parse_many

        try:
            parse_many(v)
        except ValueError:
            raise ValueError("expected a rate like '30/minute' or '5/second; 100/hour'") from None
        return v

    @field_validator("payment_run_file_days")
    @classmethod
    def _days(cls, v: int) -> int:
        if v < 1:
            raise ValueError("must be at least 1 day")
        return v

    @field_validator("webhook_secret")
    @classmethod
    def _whsec(cls, v: str | None) -> str | None:
        if v is None:
            return v
        if not v.startswith("whsec_"):
            raise ValueError("a Standard Webhooks secret starts with 'whsec_'")
        try:
            key = base64.b64decode(v.removeprefix("whsec_"), validate=True)
        except Exception:  # noqa: BLE001
            raise ValueError("the part after 'whsec_' is not base64") from None
        if not key:
            raise ValueError("the secret after 'whsec_' is empty")
        return v

    @field_validator("runner")
    @classmethod
    def _runner(cls, v: str) -> str:
        if v not in ("embedded", "deployments"):
            raise ValueError("expected 'embedded' or 'deployments'")
        return v

    @field_validator("policy_file", "targets_file")
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
        return _key_list(self.data_key or _stored_secret("data-key", new_data_key))

    @cached_property
    def link_secrets(self) -> list[str]:
        """Keys that sign links, sign-in links, sessions, CSRF tokens and API tokens, newest first:
        the first signs, every one verifies, so "new,old" rotates without voiding what is out there.
        Links signed before the link key existed (with a secret derived from the data key) stay
        valid: those derived secrets verify, last."""
        import hashlib

        keys = _key_list(self.link_key or _stored_secret("link-key", new_link_key))
        legacy = [hashlib.sha256(b"involve-links:" + k.encode()).hexdigest() for k in self.resolved_data_keys]
        return keys + [k for k in legacy if k not in keys]

    @property
    def link_signing_keys(self) -> list[str]:
        """`link_secrets` in the order itsdangerous takes them (oldest first, the last one signs)."""
        return list(reversed(self.link_secrets))

    @property
    def link_secret(self) -> str:
        """The key that signs new links (the first of INVOLVE_LINK_KEY)."""
        return self.link_secrets[0]

    @cached_property
    def resolved_audit_key(self) -> str:
        return (self.audit_key or _stored_secret("audit-key", new_audit_key)).strip()

    @cached_property
    def installation_id(self) -> str:
        """A random id made on first run (var/installation-id): it keeps Message-IDs unique across installations."""
        return _stored_secret("installation-id", lambda: secrets.token_hex(8))

    @property
    def var_dir(self) -> Path:
        return var_dir()

    @property
    def payment_runs_dir(self) -> Path:
        return var_dir() / "payment-runs"


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
