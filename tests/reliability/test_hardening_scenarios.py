"""Fast versions of the issue-18 soak rows: a rewritten audit chain, a moved working folder."""
from __future__ import annotations

from tests.reliability import scenarios_hardening


def test_a_rewritten_audit_chain_is_named_against_the_signed_head(server):
    r = scenarios_hardening.rewritten_audit_chain(server, claims=6)
    assert r.ok, r.note


def test_a_moved_working_folder_keeps_its_keys_and_a_keyless_home_refuses(prefect_api, rsink, tmp_path):
    r = scenarios_hardening.moved_working_folder(prefect_api, tmp_path, rsink, claims=3)
    assert r.ok and r.lost == 0, r.note
