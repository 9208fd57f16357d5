"""Issue 18, item 4: hostile numbers (exponent form, huge, NaN), deep JSON and decimal overflow are
refused (422) before anything large is built; never a 500, never a frozen server."""
from __future__ import annotations

import json

import pytest

from involve.intake import providers
from involve.intake.providers import load_mapping, tally_to_claim, typeform_to_claim
from tests.integration.test_webhooks import TF_SECRET, _provider_sig, claims_count, client, signed  # noqa: F401
from tests.unit.test_providers import _tf, typeform_payload

HOSTILE = ["1e999999", "1E999999999999", "9" * 13, "0." + "1" * 12 + "5", "NaN", "Infinity", "-1e9", "1e3",
           "\u0661\u0662", "12" * 5000]


@pytest.mark.timeout(20)
@pytest.mark.parametrize("value", HOSTILE)
def test_provider_numbers_over_12_digits_or_in_exponent_form_are_never_built(value):
    assert not isinstance(providers._decimal(value), type(providers._decimal("1")))
    payload = typeform_payload(travel_public_transport=_tf("travel_public_transport", "number", "number", value),
                               travel_miles=_tf("travel_miles", "number", "number", value),
                               travel_passengers=_tf("travel_passengers", "number", "number", value))
    _, claim = typeform_to_claim(payload, load_mapping())
    assert len(json.dumps(claim)) < 5000


@pytest.mark.timeout(20)
@pytest.mark.parametrize("value", ["1e999999", 1e308, 10 ** 400, "9" * 13])
def test_typeform_webhook_with_a_hostile_number_is_422(client, value):  # noqa: F811
    payload = typeform_payload(travel_public_transport=_tf("travel_public_transport", "number", "number", value))
    body = json.dumps(payload).encode()
    headers = {"content-type": "application/json", "Typeform-Signature": "sha256=" + _provider_sig(TF_SECRET, body)}
    r = client.post("/webhooks/claims/typeform", content=body, headers=headers)
    assert r.status_code == 422, r.text
    assert claims_count() == 0


@pytest.mark.parametrize("path", ["/webhooks/claims", "/webhooks/claims/typeform"])
def test_deeply_nested_json_is_422_not_500(client, path):  # noqa: F811
    body = b"[" * 30000 + b"]" * 30000
    headers = signed(body, msg_id="deep")
    headers["Typeform-Signature"] = "sha256=" + _provider_sig(TF_SECRET, body)
    r = client.post(path, content=body, headers=headers)
    assert r.status_code == 422, r.text


@pytest.mark.parametrize("amount", ["1e999999", "NaN", "-1", "1" * 40])
def test_cli_money_refuses_overflow_with_one_line(amount):
    import typer

    from involve.cli.common import parse_money

    with pytest.raises(typer.Exit) as exc:
        parse_money(amount, "--limit")
    assert exc.value.exit_code == 2


def test_tally_example_still_maps():
    from tests.unit.test_providers import tally_payload

    _, claim = tally_to_claim(tally_payload(), load_mapping())
    assert claim["expenses"]
