"""Typeform and Tally webhooks: signatures, and mapping answers to the canonical claim."""
from __future__ import annotations

import base64
import hashlib
import hmac
import json
from pathlib import Path

import pytest

from involve.intake.providers import (
    ProviderPayloadError,
    SignatureInvalid,
    load_mapping,
    tally_to_claim,
    typeform_to_claim,
    verify_tally,
    verify_typeform,
)

SECRET = "whsec-test-secret"

EXPECTED = {
    "claimant": {"name": "Sam Okafor", "email": "sam.okafor@example.org"},
    "activity": {
        "kind": "interview_panel",
        "title": "Selection panel: Band 6 Community Psychiatric Nurse",
        "date": "2026-11-18",
        "start": "09:30",
        "end": "13:15",
        "borough": "havering",
        "lead_email": "lead.havering@example.nhs.uk",
    },
    "fee": {"claimed": True},
    "expenses": [
        {"kind": "public_transport", "amount": "6.80"},
        {"kind": "mileage", "vehicle": "car", "miles": "12.4", "passengers": 1},
        {"kind": "carer", "amount": "25.00"},
    ],
    "declaration": True,
}


def _sign(body: bytes, secret: str = SECRET) -> str:
    return base64.b64encode(hmac.new(secret.encode(), body, hashlib.sha256).digest()).decode()


# ---- payloads as the providers send them ------------------------------------------------------------

def _tf(ref: str, kind: str, field_type: str, value) -> dict:
    return {"type": kind, "field": {"id": f"id_{ref}", "ref": ref, "type": field_type}, kind: value}


def typeform_payload(**overrides) -> dict:
    answers = [
        _tf("claimant_name", "text", "short_text", "Sam Okafor"),
        _tf("claimant_email", "email", "email", "sam.okafor@example.org"),
        _tf("activity_kind", "choice", "multiple_choice", {"id": "c1", "label": "Interview panel"}),
        _tf("activity_title", "text", "short_text", "Selection panel: Band 6 Community Psychiatric Nurse"),
        _tf("activity_date", "date", "date", "2026-11-18"),
        _tf("activity_start", "text", "short_text", "09:30"),
        _tf("activity_end", "text", "short_text", "13:15"),
        _tf("activity_borough", "choice", "dropdown", {"label": "Havering"}),
        _tf("activity_lead_email", "email", "email", "lead.havering@example.nhs.uk"),
        _tf("claim_fee", "boolean", "yes_no", True),
        _tf("travel_public_transport", "number", "number", 6.8),
        _tf("travel_miles", "number", "number", 12.4),
        _tf("travel_passengers", "number", "number", 1),
        _tf("carer_costs", "number", "number", 25),
        _tf("childcare_costs", "number", "number", 0),
        _tf("declaration", "boolean", "legal", True),
        _tf("utm_source", "text", "hidden", "newsletter"),
    ]
    for ref, answer in overrides.items():
        answers = [a for a in answers if a["field"]["ref"] != ref] + ([answer] if answer else [])
    return {
        "event_id": "01HEVENT0000000000000000",
        "event_type": "form_response",
        "form_response": {
            "form_id": "lT4Z3j",
            "token": "a3a12ec67a1365927098a606107fac15",
            "landed_at": "2026-11-18T14:02:11Z",
            "submitted_at": "2026-11-18T14:05:40Z",
            "hidden": {"utm_source": "newsletter"},
            "definition": {"id": "lT4Z3j", "title": "Involvement payment claim",
                           "fields": [{**a["field"], "title": a["field"]["ref"]} for a in answers]},
            "answers": answers,
        },
    }


def _tally(key: str, label: str, kind: str, value, options: list[dict] | None = None) -> dict:
    field = {"key": key, "label": label, "type": kind, "value": value}
    if options is not None:
        field["options"] = options
    return field


def tally_payload() -> dict:
    yes_no = [{"id": "opt-yes", "text": "Yes"}, {"id": "opt-no", "text": "No"}]
    kinds = [{"id": "k-meet", "text": "Meeting"}, {"id": "k-panel", "text": "Interview panel"}]
    boroughs = [{"id": "b-bd", "text": "Barking and Dagenham"}, {"id": "b-hav", "text": "Havering"},
                {"id": "b-tw", "text": "Trust-wide"}]
    declare = [{"id": "d-1", "text": "I confirm the information above is true"}]
    fields = [
        _tally("question_mR4x1a", "claimant_name", "INPUT_TEXT", "Sam Okafor"),
        _tally("question_nP2k9b", "claimant_email", "INPUT_EMAIL", "sam.okafor@example.org"),
        _tally("question_3Ek7Lq", "activity_kind", "MULTIPLE_CHOICE", ["k-panel"], kinds),
        _tally("question_w4Jz0c", "activity_title", "INPUT_TEXT",
               "Selection panel: Band 6 Community Psychiatric Nurse"),
        _tally("question_m6Dd2e", "activity_date", "INPUT_DATE", "2026-11-18"),
        _tally("question_n7Pq4f", "activity_start", "INPUT_TIME", "09:30"),
        _tally("question_p8Rr5g", "activity_end", "INPUT_TIME", "13:15"),
        _tally("question_q9Ss6h", "activity_borough", "DROPDOWN", ["b-hav"], boroughs),
        _tally("question_r0Tt7i", "activity_lead_email", "INPUT_EMAIL", "lead.havering@example.nhs.uk"),
        _tally("question_s1Uu8j", "claim_fee", "MULTIPLE_CHOICE", ["opt-yes"], yes_no),
        _tally("question_t2Vv9k", "travel_public_transport", "INPUT_NUMBER", 6.8),
        _tally("question_u3Ww0l", "travel_miles", "INPUT_NUMBER", 12.4),
        _tally("question_v4Xx1m", "travel_passengers", "INPUT_NUMBER", 1),
        _tally("question_w5Yy2n", "carer_costs", "INPUT_NUMBER", 25),
        _tally("question_x6Zz3o", "childcare_costs", "INPUT_NUMBER", None),
        _tally("question_y7Aa4p", "declaration", "CHECKBOXES", ["d-1"], declare),
        _tally("question_y7Aa4p_d-1", "declaration (I confirm the information above is true)",
               "CHECKBOXES", True),
        _tally("question_z8Bb5q", "ref", "HIDDEN_FIELDS", "newsletter"),
    ]
    return {
        "eventId": "a4cb511e-d513-4fa5-baee-b815d718dfd1",
        "eventType": "FORM_RESPONSE",
        "createdAt": "2026-11-18T14:05:40.000Z",
        "data": {"responseId": "2wgx4n", "submissionId": "2wgx4n", "respondentId": "dwQKYm",
                 "formId": "VwbNEw", "formName": "Involvement payment claim",
                 "createdAt": "2026-11-18T14:05:40.000Z", "fields": fields},
    }


def _floats(value) -> list:
    if isinstance(value, float):
        return [value]
    if isinstance(value, dict):
        return [f for v in value.values() for f in _floats(v)]
    if isinstance(value, list):
        return [f for v in value for f in _floats(v)]
    return []


# ---- signatures -------------------------------------------------------------------------------------

@pytest.mark.parametrize("verify, prefix", [(verify_typeform, "sha256="), (verify_tally, "")])
def test_valid_signature_passes(verify, prefix):
    body = json.dumps(typeform_payload()).encode()
    verify(body, prefix + _sign(body), SECRET)


@pytest.mark.parametrize("verify, prefix", [(verify_typeform, "sha256="), (verify_tally, "")])
def test_tampered_body_or_wrong_secret_is_refused(verify, prefix):
    body = b'{"form_response": {"answers": []}}'
    with pytest.raises(SignatureInvalid, match="signature does not match"):
        verify(body.replace(b"[]", b"[1]"), prefix + _sign(body), SECRET)
    with pytest.raises(SignatureInvalid, match="signature does not match"):
        verify(body, prefix + _sign(body, "another-secret"), SECRET)


def test_typeform_signature_needs_the_sha256_prefix():
    body = b"{}"
    with pytest.raises(SignatureInvalid):
        verify_typeform(body, _sign(body), SECRET)


@pytest.mark.parametrize("verify, header", [(verify_typeform, "Typeform-Signature"),
                                            (verify_tally, "Tally-Signature")])
@pytest.mark.parametrize("signature", [None, ""])
def test_missing_header_is_refused(verify, header, signature):
    with pytest.raises(SignatureInvalid, match=f"missing {header} header"):
        verify(b"{}", signature, SECRET)


# ---- mapping ----------------------------------------------------------------------------------------

def test_typeform_example_claim_maps_to_the_canonical_claim():
    delivery, claim = typeform_to_claim(typeform_payload(), load_mapping())
    assert delivery == "a3a12ec67a1365927098a606107fac15"
    assert claim == {"submission_id": delivery, **EXPECTED}


def test_tally_example_claim_maps_to_the_canonical_claim():
    delivery, claim = tally_to_claim(tally_payload(), load_mapping())
    assert delivery == "2wgx4n"
    assert claim == {"submission_id": delivery, **EXPECTED}


def test_numbers_never_become_floats():
    payload = typeform_payload(
        travel_public_transport=_tf("travel_public_transport", "number", "number", 0.1 + 0.2),
        carer_costs=_tf("carer_costs", "number", "number", 12.5),
    )
    _, claim = typeform_to_claim(payload, load_mapping())
    _, tally = tally_to_claim(tally_payload(), load_mapping())
    assert _floats(claim) == [] and _floats(tally) == []
    amounts = {line["kind"]: line.get("amount") for line in claim["expenses"]}
    # 0.30000000000000004 (17 digits) is not silently rounded: it is passed on as text that validation
    # rejects rather than pay a changed sum (and a number of more than 12 digits is never built)
    assert amounts["public_transport"] not in ("0.30", None)
    assert "0.3" not in amounts["public_transport"]
    assert amounts["carer"] == "12.50"


def test_unmapped_hidden_field_is_ignored_and_unanswered_fields_are_left_out():
    payload = typeform_payload(activity_lead_email=None, travel_miles=None, travel_passengers=None)
    _, claim = typeform_to_claim(payload, load_mapping())
    assert "utm_source" not in json.dumps(claim) and "newsletter" not in json.dumps(claim)
    assert "lead_email" not in claim["activity"]
    assert [line["kind"] for line in claim["expenses"]] == ["public_transport", "carer"]


@pytest.mark.parametrize("label, code", [("Barking and DAGENHAM", "barking_dagenham"),
                                         ("Trust-wide", "trust_wide"), ("waltham  forest", "waltham_forest")])
def test_choice_labels_and_yes_no_are_resolved_case_insensitively(label, code):
    payload = typeform_payload(
        activity_borough=_tf("activity_borough", "choice", "dropdown", {"label": label}),
        activity_kind=_tf("activity_kind", "choice", "multiple_choice", {"label": "INTERVIEW PANEL"}),
        claim_fee=_tf("claim_fee", "choice", "multiple_choice", {"label": "No, expenses only"}),
    )
    _, claim = typeform_to_claim(payload, load_mapping())
    assert claim["activity"]["borough"] == code
    assert claim["activity"]["kind"] == "interview_panel"
    assert claim["fee"] == {"claimed": False}


def test_custom_mapping_file_with_other_refs(tmp_path: Path):
    path = tmp_path / "mapping.toml"
    path.write_text('[typeform.fields]\nfull_name = "claimant.name"\nbus = "expenses.public_transport"\n'
                    '[tally.fields]\n"Your name" = "claimant.name"\n')
    mapping = load_mapping(path)
    payload = typeform_payload(full_name=_tf("full_name", "text", "short_text", "Ana Silva"),
                               bus=_tf("bus", "number", "number", 3))
    _, claim = typeform_to_claim(payload, mapping)
    assert claim == {"submission_id": "a3a12ec67a1365927098a606107fac15", "claimant": {"name": "Ana Silva"},
                     "expenses": [{"kind": "public_transport", "amount": "3.00"}]}
    tally = tally_payload()
    tally["data"]["fields"].append(_tally("question_aa", "your name", "INPUT_TEXT", "Ana Silva"))
    assert tally_to_claim(tally, mapping)[1] == {"submission_id": "2wgx4n", "claimant": {"name": "Ana Silva"}}


def test_mapping_with_an_unknown_target_is_refused(tmp_path: Path):
    path = tmp_path / "mapping.toml"
    path.write_text('[tally.fields]\nclaimant_name = "claimant.nmae"\n')
    with pytest.raises(ValueError, match="claimant.nmae"):
        load_mapping(path)


def test_delivery_id_falls_back():
    payload = typeform_payload()
    del payload["form_response"]["token"]
    assert typeform_to_claim(payload, load_mapping())[0] == "01HEVENT0000000000000000"
    tally = tally_payload()
    del tally["data"]["submissionId"]
    assert tally_to_claim(tally, load_mapping())[0] == "2wgx4n"


def test_payload_not_shaped_like_the_provider_is_refused():
    with pytest.raises(ProviderPayloadError, match="form_response"):
        typeform_to_claim({"event_id": "x", "event_type": "form_response"}, load_mapping())
    with pytest.raises(ProviderPayloadError, match="data.fields"):
        tally_to_claim({"eventId": "x", "data": {}}, load_mapping())
