"""Issue 18, item 3 and the smaller items about secrets: var/ follows INVOLVE_HOME (not the working
folder), a data key that cannot open the stored rows stops start-up with one line, rotating either key
keeps links and sessions valid, `involve info` hides passwords, an empty `whsec_` secret is refused,
Message-IDs differ between installations."""
from __future__ import annotations

import base64
import os
import secrets

import pytest
from typer.testing import CliRunner

from involve import settings as settings_module
from involve.db import reader, unit_of_work
from tests.integration.test_lifecycle import FIN, LEAD, setup_people, submit
from tests.procs import children


def _cli(*args: str):
    from involve.cli.main import app

    return CliRunner().invoke(app, list(args))


def _new_data_key() -> str:
    return base64.urlsafe_b64encode(secrets.token_bytes(32)).decode()


def _set(monkeypatch, **env: str | None) -> None:
    for name, value in env.items():
        if value is None:
            monkeypatch.delenv(f"INVOLVE_{name}", raising=False)
        else:
            monkeypatch.setenv(f"INVOLVE_{name}", value)
    settings_module.reset_settings()


@pytest.fixture
def no_start(monkeypatch):
    """`involve serve` as far as it gets before it would listen: uvicorn and the runner never start."""
    started = []
    import involve.runner_process
    import involve.serve

    monkeypatch.setattr(involve.serve.uvicorn, "run", lambda *a, **k: started.append("uvicorn"))
    monkeypatch.setattr(involve.runner_process.RunnerProcess, "start", lambda self: started.append("runner") or self)
    monkeypatch.setattr(involve.runner_process.RunnerProcess, "stop", lambda self, timeout=0: None)
    return started


def test_a_moved_working_folder_keeps_the_same_secrets_and_database(tmp_path, monkeypatch):
    home = tmp_path / "home"
    _set(monkeypatch, HOME=str(home), DATA_KEY=None, WEBHOOK_SECRET=None)
    monkeypatch.chdir(tmp_path)
    first = settings_module.settings
    keys = (first.resolved_data_keys, first.resolved_webhook_secret, first.link_secret, first.resolved_audit_key)
    assert first.database_url == f"sqlite:///{home / 'var' / 'involve.db'}"
    assert first.mail_dir == home / "var" / "mail"
    elsewhere = tmp_path / "somewhere" / "else"
    elsewhere.mkdir(parents=True)
    monkeypatch.chdir(elsewhere)
    settings_module.reset_settings()
    again = settings_module.settings
    assert (again.resolved_data_keys, again.resolved_webhook_secret, again.link_secret,
            again.resolved_audit_key) == keys
    assert again.database_url == first.database_url
    assert not (elsewhere / "var").exists()
    for name in ("data-key", "webhook-secret", "link-key", "audit-key"):
        assert (home / "var" / name).stat().st_mode & 0o077 == 0, name


def test_serve_refuses_to_start_when_the_data_key_cannot_open_stored_rows(db, example_claim, monkeypatch, no_start):
    setup_people()
    submit(example_claim)  # bank details encrypted under the test key
    _set(monkeypatch, DATA_KEY=_new_data_key(), RUNNER="embedded")  # e.g. a folder with a newly generated key
    monkeypatch.delenv("PREFECT_API_URL", raising=False)
    r = _cli("serve", "--port", "0")
    assert r.exit_code == 2 and no_start == []
    # what serve had started before it refused is stopped, and this process's environment is as it was
    # (a Prefect API URL left behind pointed every later `involve serve` of the test run at a dead API)
    assert "PREFECT_API_URL" not in os.environ
    assert not [cmd for cmd in children(os.getpid()).values() if "involve.prefect_api" in cmd]
    lines = r.output.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("INVOLVE_DATA_KEY:") and "claims 1" in lines[0]
    r = _cli("payments", "run", "--by", FIN)  # a command that decrypts refuses the same way
    assert r.exit_code == 2 and r.output.startswith("INVOLVE_DATA_KEY:")


def test_rotating_the_data_key_keeps_links_sessions_and_tokens_valid(db, example_claim, monkeypatch):
    from involve import links
    from involve.services.staff_tokens import issue_token, staff_from_token

    setup_people()
    submit(example_claim)
    with unit_of_work() as s:
        url = links.issue(s, action="approve", reference="CLM-TEST", holder=LEAD)
    token = issue_token(LEAD, by=LEAD)
    old = settings_module.settings.resolved_data_keys[0]
    _set(monkeypatch, DATA_KEY=f"{_new_data_key()},{old}")
    assert _cli("keys", "rotate", "--by", FIN).exit_code == 0
    _set(monkeypatch, DATA_KEY=settings_module.settings.resolved_data_keys[0])  # the old key removed
    with reader() as s:
        assert links.load(s, url.rsplit("/", 1)[1]).reference == "CLM-TEST"
    assert staff_from_token(token) == LEAD


def test_rotating_the_link_key_keeps_outstanding_links_valid(db, monkeypatch):
    from involve import links
    from involve.errors import LinkInvalid
    from involve.services.staff_tokens import BadToken, issue_token, staff_from_token

    setup_people()
    _set(monkeypatch, LINK_KEY="first-link-key")
    with unit_of_work() as s:
        url = links.issue(s, action="approve", reference="CLM-OLD", holder=LEAD)
    token = issue_token(LEAD, by=LEAD)
    _set(monkeypatch, LINK_KEY="second-link-key,first-link-key")  # rotate: the new key first
    with unit_of_work() as s:
        new_url = links.issue(s, action="approve", reference="CLM-NEW", holder=LEAD)
    with reader() as s:
        assert links.load(s, url.rsplit("/", 1)[1]).reference == "CLM-OLD"
        assert links.load(s, new_url.rsplit("/", 1)[1]).reference == "CLM-NEW"
    assert staff_from_token(token) == LEAD
    _set(monkeypatch, LINK_KEY="second-link-key")  # the old key retired: what it signed stops working
    with reader() as s, pytest.raises(LinkInvalid):
        links.load(s, url.rsplit("/", 1)[1])
    with pytest.raises(BadToken):
        staff_from_token(token)


def test_links_signed_before_the_link_key_existed_stay_valid(db, monkeypatch):
    import hashlib

    from itsdangerous import URLSafeTimedSerializer

    from involve import links

    setup_people()
    with unit_of_work() as s:
        url = links.issue(s, action="approve", reference="CLM-LEGACY", holder=LEAD)
    with reader() as s:
        token_id = links.load(s, url.rsplit("/", 1)[1]).id
    data_key = settings_module.settings.resolved_data_keys[0]
    legacy = hashlib.sha256(b"involve-links:" + data_key.encode()).hexdigest()  # the old derivation
    signed = URLSafeTimedSerializer(legacy, salt="involve-action-link").dumps({"t": token_id, "a": "approve"})
    with reader() as s:
        assert links.load(s, signed).reference == "CLM-LEGACY"


def test_info_never_prints_database_or_smtp_passwords(monkeypatch):
    _set(monkeypatch, DATABASE_URL="postgresql+psycopg://involve:db-pass-123@db.internal:5432/involve",
         SMTP_URL="smtp+starttls://mailer:smtp-pass-456@smtp.internal:587")
    r = _cli("info")
    assert r.exit_code == 0, r.output
    assert "db-pass-123" not in r.output and "smtp-pass-456" not in r.output
    assert "involve:***@db.internal" in r.output and "mailer:***@smtp.internal" in r.output


def test_an_empty_whsec_secret_refuses_to_start(monkeypatch, no_start):
    _set(monkeypatch, WEBHOOK_SECRET="whsec_")
    r = _cli("serve", "--port", "0")
    assert r.exit_code == 2 and no_start == []
    assert r.output.strip() == "INVOLVE_WEBHOOK_SECRET: the secret after 'whsec_' is empty"


def test_message_ids_differ_between_installations(tmp_path, monkeypatch):
    from involve.mail.render import message_id

    ids = set()
    for name in ("one", "two"):
        _set(monkeypatch, HOME=str(tmp_path / name))
        mid = message_id(7, "Involvement <involvement@trust.nhs.uk>")
        assert mid == message_id(7, "involvement@trust.nhs.uk")  # a resend keeps its Message-ID
        assert mid.startswith("<outbox-7.") and mid.endswith("@trust.nhs.uk>")
        ids.add(mid)
    assert len(ids) == 2
