"""Schemathesis CLI hooks: sign the generated webhook deliveries, so they pass the signature check
and reach intake (its 202s, 200s and 422s) instead of stopping at 401.

Used by the schemathesis CLI (4.x), run from its own environment against a live `involve serve`:

    INVOLVE_WEBHOOK_SECRET=whsec_... \
    SCHEMATHESIS_HOOKS=tests/security/schemathesis_hooks.py \
    st run http://127.0.0.1:8765/openapi.json --checks all ...

- `POST /webhooks/claims`: Standard Webhooks headers, `webhook-id`, `webhook-timestamp` (now) and
  `webhook-signature: v1,<base64 HMAC-SHA256 of "{id}.{ts}.{body}">`, keyed with the base64-decoded
  secret after `whsec_` (INVOLVE_WEBHOOK_SECRET).
- `POST /webhooks/claims/typeform` and `/tally`, when INVOLVE_TYPEFORM_SECRET / INVOLVE_TALLY_SECRET
  are set: `Typeform-Signature: sha256=<base64 HMAC-SHA256(secret, body)>`, `Tally-Signature:
  <base64 HMAC-SHA256(secret, body)>`.

The body is serialised here and sent as those exact bytes (`data=`), so the signature covers what
goes over the wire. The webhook id is derived from the body: the same body sent twice is a replay
(200, the first answer), a new body a new delivery (202 or 422). With no secret in the environment
the hooks change nothing (the unsigned run).

Grounding: the JSON Schema of ClaimIn cannot say the cross-field claim rules (a fee amount only when
the fee is claimed, miles only on mileage lines, a date inside a policy period, HH:MM times), so
schema-valid bodies drawn at random are refused with 422 and the 202/200 answers would never be
checked. For `/webhooks/claims`, half of the positive cases (chosen by a hash of the body, so a run
is reproducible with --seed) keep their generated free text (claimant name, activity title and
service, the first expense's description, submission id) on an otherwise valid claim; those reach
storage and answer 202 (or 422 when the text policy refuses the text). ST_GROUND=0 turns it off.
"""
from __future__ import annotations

import base64
import copy
import datetime as dt
import hashlib
import hmac
import json
import os
import time

import schemathesis

try:  # the body placeholder for "no body"; its home moved between 4.x releases
    from schemathesis.core import NotSet
except ImportError:  # pragma: no cover
    NotSet = type(None)


def _raw_body(case) -> bytes:
    body = case.body
    if isinstance(body, NotSet):
        return b""
    if isinstance(body, (bytes, bytearray)):
        return bytes(body)
    # ensure_ascii=False: non-ASCII text reaches the server as UTF-8, as a form provider sends it
    return json.dumps(body, ensure_ascii=False).encode()


# a valid canonical claim (involve/examples/claim.json without the recruitment reference and lead)
VALID_CLAIM = {
    "submission_id": None,
    "claimant": {"name": "Sam Okafor", "email": "sam.okafor@example.org"},
    "activity": {"kind": "interview_panel", "title": "Selection panel", "date": "2026-01-01",
                 "start": "09:30", "end": "13:15", "borough": "havering",
                 "service": "Community Recovery Team"},
    "fee": {"claimed": True},
    "expenses": [{"kind": "public_transport", "amount": "6.80", "description": "Bus both ways"},
                 {"kind": "mileage", "vehicle": "car", "miles": "12.4", "passengers": 1}],
    "payment": {"method": "bank_transfer", "account_name": "S Okafor", "sort_code": "12-34-56",
                "account_number": "12345678"},
    "declaration": True,
}


def _positive(case) -> bool:
    meta = getattr(case, "_meta", None) or getattr(case, "meta", None)
    mode = getattr(getattr(meta, "generation", None), "mode", None)
    return str(getattr(mode, "value", mode)) == "positive"


def _pick(source, *path):
    for key in path:
        if isinstance(source, dict):
            source = source.get(key)
        elif isinstance(source, list) and isinstance(key, int) and len(source) > key:
            source = source[key]
        else:
            return None
    return source


def grounded_claim(body: dict) -> dict:
    """A valid claim carrying the generated free text of `body` (see the module docstring)."""
    digest = hashlib.sha256(json.dumps(body, sort_keys=True).encode()).hexdigest()
    claim = copy.deepcopy(VALID_CLAIM)
    minutes = 8 * 60 + int(digest[:4], 16) % 120 * 5  # 08:00 to 17:55, so claims differ in time too
    claim["claimant"]["email"] = f"st.{digest[:12]}@example.org"
    claim["activity"].update(date=(dt.date.today() - dt.timedelta(days=3)).isoformat(),
                             start=f"{minutes // 60:02d}:{minutes % 60:02d}",
                             end=f"{minutes // 60 + 2:02d}:{minutes % 60:02d}")
    for path, target in ((("claimant", "name"), claim["claimant"]), (("activity", "title"), claim["activity"]),
                         (("activity", "service"), claim["activity"])):
        value = _pick(body, *path)
        if isinstance(value, str):
            target[path[-1]] = value
    description = _pick(body, "expenses", 0, "description")
    if isinstance(description, str):
        claim["expenses"][0]["description"] = description
    if isinstance(body.get("submission_id"), str):
        claim["submission_id"] = body["submission_id"]
    return claim


def standard_webhooks_headers(secret: str, msg_id: str, ts: int, body: bytes) -> dict[str, str]:
    key = base64.b64decode(secret.removeprefix("whsec_"))
    signed = f"{msg_id}.{ts}.".encode() + body
    sig = base64.b64encode(hmac.new(key, signed, hashlib.sha256).digest()).decode()
    return {"webhook-id": msg_id, "webhook-timestamp": str(ts), "webhook-signature": f"v1,{sig}"}


def _provider_signature(secret: str, body: bytes) -> str:
    return base64.b64encode(hmac.new(secret.encode(), body, hashlib.sha256).digest()).decode()


def _set_headers(case, new: dict[str, str]) -> None:
    headers = dict(case.headers or {})
    lower = {k.lower() for k in new}
    headers = {k: v for k, v in headers.items() if k.lower() not in lower}
    headers.update(new)
    case.headers = headers


@schemathesis.hook
def before_call(ctx, case, kwargs):
    """Sign webhook deliveries. `kwargs` (positional, not **kwargs) is the transport's own dict, so
    `data` set here is the body sent."""
    if case.method.upper() != "POST":
        return
    path = case.operation.path
    if path == "/webhooks/claims":
        secret = os.environ.get("INVOLVE_WEBHOOK_SECRET")
        if not secret:
            return
        if (os.environ.get("ST_GROUND", "1") != "0" and _positive(case) and isinstance(case.body, dict)
                and int(hashlib.sha256(_raw_body(case)).hexdigest()[:2], 16) % 2 == 0):
            case.body = grounded_claim(case.body)
        if isinstance(case.body, NotSet):
            body = b""
        else:
            body = _raw_body(case)
            kwargs["data"] = body
        msg_id = "st_" + hashlib.sha256(body).hexdigest()[:24]
        _set_headers(case, standard_webhooks_headers(secret, msg_id, int(time.time()), body))
    elif path in ("/webhooks/claims/typeform", "/webhooks/claims/tally"):
        provider = path.rsplit("/", 1)[1]
        secret = os.environ.get(f"INVOLVE_{provider.upper()}_SECRET")
        if not secret:
            return
        body = b"" if isinstance(case.body, NotSet) else _raw_body(case)
        if not isinstance(case.body, NotSet):
            kwargs["data"] = body
        signature = _provider_signature(secret, body)
        if provider == "typeform":
            _set_headers(case, {"Typeform-Signature": f"sha256={signature}"})
        else:
            _set_headers(case, {"Tally-Signature": signature})
