"""links._sign: the same signed token itsdangerous makes, with the keyed HMAC built once."""
from __future__ import annotations

import secrets

import pytest
from itsdangerous import BadSignature

from involve import links
from involve.settings import reset_settings


@pytest.mark.parametrize("action", ["approve", "reject", "add_receipts", "confirm_bank_details", "odd \"action\" é"])
def test_a_token_is_what_the_serializer_makes_and_loads(action, monkeypatch):
    token_id = secrets.token_urlsafe(16)
    monkeypatch.setattr("time.time", lambda: 1_800_000_000.25)  # one second for both (itsdangerous reads time.time)
    fast = links._sign(token_id, action)
    assert fast == links._serializer().dumps({"t": token_id, "a": action})
    assert links._serializer().loads(fast) == {"t": token_id, "a": action}


def test_the_newest_key_signs_and_a_retired_key_stops_it(monkeypatch):
    monkeypatch.setenv("INVOLVE_LINK_KEY", "second-key,first-key")
    reset_settings()
    signed = links._sign("abc", "approve")
    monkeypatch.setenv("INVOLVE_LINK_KEY", "second-key")  # only the newest: still valid
    reset_settings()
    assert links._serializer().loads(signed) == {"t": "abc", "a": "approve"}
    monkeypatch.setenv("INVOLVE_LINK_KEY", "first-key")  # signed with the newest, not the first listed last
    reset_settings()
    with pytest.raises(BadSignature):
        links._serializer().loads(signed)


def test_a_tampered_token_is_refused():
    signed = links._sign("abc", "approve")
    payload, ts, mac = signed.split(".")
    with pytest.raises(BadSignature):
        links._serializer().loads(".".join((payload, ts, mac[:-2] + ("AA" if mac[-2:] != "AA" else "BB"))))
