"""Issue 17, part 6: work intake did again for every request, now done once (each answer unchanged)."""
from __future__ import annotations

import os
from pathlib import Path

import pytest

from involve import i18n
from involve.domain import emails
from involve.domain.emails import InvalidEmail, canonical_email
from involve.domain.policy import load_policy
from involve.services.intake import _ALPHABET, new_references

POLICY = Path(__file__).resolve().parents[2] / "involve" / "default-policy.toml"


def test_the_language_folder_is_looked_at_once(monkeypatch):
    globs = []
    original = Path.glob
    monkeypatch.setattr(Path, "glob", lambda self, pattern: globs.append(pattern) or original(self, pattern))
    i18n._catalogues.cache_clear()
    first = i18n.shipped()
    for _ in range(5):
        assert i18n.shipped() == first
        i18n.offered()
    assert len(globs) == 1
    assert {"ur", "ro"} <= set(first)


def test_an_address_is_parsed_once_and_a_bad_one_refused_every_time(monkeypatch):
    calls = []
    original = emails.validate_email
    monkeypatch.setattr(emails, "validate_email", lambda *a, **k: calls.append(a) or original(*a, **k))
    emails._canonical.cache_clear()
    for _ in range(3):
        assert canonical_email(" Sam.Okafor@Example.org") == "sam.okafor@example.org"
    assert len(calls) == 1
    for _ in range(2):
        with pytest.raises(InvalidEmail, match="must be an email address"):
            canonical_email("sam@intranet")
    assert canonical_email("sam@intranet", internal=True) == "sam@intranet"  # its own answer, not the other's


def test_long_values_do_not_fill_the_address_cache():
    emails._canonical.cache_clear()
    for n in range(20):
        with pytest.raises(InvalidEmail):
            canonical_email(f"{n}" + "a" * 5000 + "@example.org")
    assert emails._canonical.cache_info().currsize == 0


def test_the_policy_is_read_again_when_the_file_is_replaced_even_with_the_same_time(tmp_path):
    text = POLICY.read_text()
    path = tmp_path / "policy.toml"
    path.write_text(text)
    first = load_policy(path)
    assert load_policy(path) is first  # unchanged: not parsed again
    stat = path.stat()
    other = tmp_path / "other.toml"  # another file (another inode) moved into place, same mtime and size
    other.write_text(text)
    os.utime(other, ns=(stat.st_atime_ns, stat.st_mtime_ns))
    other.replace(path)
    assert load_policy(path) is not first


def test_references_made_together_are_distinct_and_well_formed():
    refs = new_references(500)
    assert len(set(refs)) == 500
    assert all(len(r) == 12 and r.startswith("CLM-") and set(r[4:]) <= set(_ALPHABET) for r in refs)
    assert new_references(0) == []


def test_the_offered_languages_are_worked_out_once_and_follow_their_inputs(monkeypatch):
    import gettext

    from involve.settings import reset_settings

    monkeypatch.delenv("INVOLVE_LANGUAGES", raising=False)
    reset_settings()
    i18n._offered.cache_clear()
    everything = i18n.offered()
    assert i18n.offered() == everything and i18n._offered.cache_info().hits >= 1
    assert i18n.normalise("UR-pk") == "ur"
    monkeypatch.setenv("INVOLVE_LANGUAGES", "en,ro")
    reset_settings()
    assert i18n.offered() == ["en", "ro"] and i18n.normalise("ur") is None  # a new setting: worked out again
    i18n.install("en-XA", gettext.NullTranslations())
    try:
        monkeypatch.setenv("INVOLVE_LANGUAGES", "en,en-XA")
        reset_settings()
        assert i18n.offered() == ["en", "en-XA"] and i18n.normalise("en-xa") == "en-XA"
    finally:
        i18n.uninstall("en-XA")
    assert i18n.offered() == ["en"] and i18n.normalise("en-XA") == "en"  # gone with its catalogue
    monkeypatch.delenv("INVOLVE_LANGUAGES")
    reset_settings()
    assert i18n.offered() == everything
