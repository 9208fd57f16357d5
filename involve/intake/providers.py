"""Receivers for Typeform and Tally webhooks: verify the signature, then map answers to a canonical claim.

The flow for `POST /webhooks/claims/{typeform,tally}` is:

1. `verify_typeform` / `verify_tally` check the provider's signature header against the raw body
   (base64 HMAC-SHA256 with the webhook secret, compared in constant time) or raise `SignatureInvalid`.
2. `typeform_to_claim` / `tally_to_claim` pick the answers named in the mapping file (Typeform field
   `ref`; Tally field `key` or label) and convert each to its canonical target: money becomes a
   2-place decimal string ("6.80", never a float), choice text becomes a code via the mapping's label
   tables, yes/no answers become booleans. Unanswered questions are left out, so the core's strict
   claim validation names them; unmapped questions (hidden fields) are ignored. They return
   (delivery id, claim dict); the delivery id is the provider's submission id and is also put in
   `submission_id`.
3. The core feeds the claim dict to the same intake as the canonical webhook.
"""
from __future__ import annotations

import base64
import hashlib
import hmac
import re
import tomllib
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

DEFAULT_MAPPING = Path(__file__).with_name("provider-mapping.toml")
EXPENSE_ORDER = ("public_transport", "mileage", "taxi", "parking", "carer", "childcare", "subsistence",
                 "support", "other")
_TEXT = ("claimant.name", "claimant.email", "activity.title", "activity.service", "activity.lead_email",
         "activity.reference", "payment.account_name", "payment.sort_code", "payment.account_number")
# canonical target -> how an answer is converted for it
TARGETS: dict[str, str] = {
    **dict.fromkeys(_TEXT, "text"),
    "activity.kind": "code:kind", "activity.borough": "code:borough", "payment.method": "code:payment_method",
    "claimant.language": "code:language", "claimant.format": "code:format",
    "activity.date": "date", "activity.start": "time", "activity.end": "time",
    "fee.claimed": "bool", "declaration": "bool",
    "expenses.mileage.miles": "miles", "expenses.mileage.passengers": "count",
    **{f"expenses.{kind}": "money" for kind in EXPENSE_ORDER if kind != "mileage"},
    # a file-upload answer: recorded by its file URL(s) as the cost's receipt
    **{f"expenses.{kind}.receipt": "file_url" for kind in EXPENSE_ORDER if kind != "mileage"},
}


class SignatureInvalid(Exception):
    """The provider's signature header is missing or does not match the body (answer 401, store nothing)."""


class ProviderPayloadError(Exception):
    """The body is JSON but not shaped like the provider's webhook (e.g. no form_response / data.fields)."""


@dataclass(frozen=True)
class ProviderMapping:
    """Which provider question fills which canonical target, plus the label tables for choices."""

    typeform: dict[str, str] = field(default_factory=dict)
    tally: dict[str, str] = field(default_factory=dict)
    labels: dict[str, dict[str, str]] = field(default_factory=dict)
    yes_no: dict[str, bool] = field(default_factory=dict)


def _norm(text: Any) -> str:
    return " ".join(str(text).lower().split())


def load_mapping(path: Path | None = None) -> ProviderMapping:
    """Read and check a mapping TOML file (default: provider-mapping.toml next to this module)."""
    path = path or DEFAULT_MAPPING
    with open(path, "rb") as fh:
        raw = tomllib.load(fh)
    tables: dict[str, dict[str, str]] = {}
    for provider in ("typeform", "tally"):
        fields = raw.get(provider, {}).get("fields", {})
        for ref, target in fields.items():
            if target not in TARGETS:
                raise ValueError(f"{path}: [{provider}.fields] {ref} = {target!r} is not a known target; "
                                 f"use one of {', '.join(sorted(TARGETS))}")
        tables[provider] = dict(fields)
    labels = {group: {_norm(k): str(v) for k, v in table.items()}
              for group, table in raw.get("labels", {}).items()}
    yes_no = {_norm(k): bool(v) for k, v in raw.get("yes_no", {}).items()}
    return ProviderMapping(typeform=tables["typeform"], tally=tables["tally"], labels=labels, yes_no=yes_no)


def _verify(body: bytes, signature: str | None, secret: str, *, header: str, prefix: str) -> None:
    if not signature:
        raise SignatureInvalid(f"missing {header} header")
    if not secret:
        raise SignatureInvalid(f"no signing secret is configured to check {header}")
    digest = hmac.new(secret.encode(), body, hashlib.sha256).digest()
    expected = prefix + base64.b64encode(digest).decode("ascii")
    if not hmac.compare_digest(expected.encode(), signature.strip().encode()):
        raise SignatureInvalid("signature does not match")


def verify_typeform(body: bytes, signature: str | None, secret: str) -> None:
    """Check `Typeform-Signature: sha256=<base64(HMAC-SHA256(secret, body))>`; raise SignatureInvalid."""
    _verify(body, signature, secret, header="Typeform-Signature", prefix="sha256=")


def verify_tally(body: bytes, signature: str | None, secret: str) -> None:
    """Check `Tally-Signature: <base64(HMAC-SHA256(secret, body))>`; raise SignatureInvalid."""
    _verify(body, signature, secret, header="Tally-Signature", prefix="")


MAX_DIGITS = 12  # a number answer with more digits is refused before it is built (no 1e999999)
_PLAIN_NUMBER = re.compile(r"[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)")
_NOT_A_NUMBER = "not a plain number of at most 12 digits"


def _decimal(value: Any) -> Decimal | str | None:
    """A number answer as Decimal (via str, so 6.8 stays 6.8), built only when it is written as a
    plain number of at most MAX_DIGITS digits (no exponent form, no NaN or infinity); anything else
    is returned as text (short, never the huge answer), for the claim validation to refuse with 422."""
    if value is None or value == "" or isinstance(value, bool):
        return None if value in (None, "") else _NOT_A_NUMBER
    if isinstance(value, int) and value.bit_length() > 64:
        return _NOT_A_NUMBER
    if not isinstance(value, (str, int, float)):
        return _NOT_A_NUMBER
    raw = str(value).strip()
    if len(raw) > 40:
        return _NOT_A_NUMBER
    text = raw.replace("\u00a3", "").replace(",", "")
    if not _PLAIN_NUMBER.fullmatch(text) or sum(ch.isdigit() for ch in text) > MAX_DIGITS:
        return raw if len(raw) <= 20 and not re.search(r"[0-9]", raw) else _NOT_A_NUMBER
    try:
        return Decimal(text)
    except InvalidOperation:
        return _NOT_A_NUMBER


def _money(value: Any) -> str | None:
    number = _decimal(value)
    if not isinstance(number, Decimal):
        return number
    if number == 0:
        return None
    # more than 2 places is passed on unrounded so validation rejects it rather than we change it
    return f"{number:.2f}" if int(number.as_tuple().exponent) >= -2 else format(number, "f")


def _to_bool(value: Any, yes_no: dict[str, bool]) -> bool | str:
    if isinstance(value, bool):
        return value
    if isinstance(value, list):  # ticked checkboxes / selected choices
        known = [_to_bool(v, yes_no) for v in value]
        return next((b for b in known if isinstance(b, bool)), bool(value))
    text = _norm(value)
    first = re.split(r"[^a-z]+", text)[0]
    if text in yes_no or first in yes_no:
        return yes_no.get(text, yes_no.get(first, False))
    return str(value)


def _convert(how: str, value: Any, mapping: ProviderMapping) -> Any:
    if value is None or value == "" or (value == [] and how != "bool"):
        return None
    if how == "bool":
        return _to_bool(value, mapping.yes_no)
    if how == "money":
        return _money(value)
    if how == "file_url":
        return _file_urls(value)
    if how == "miles":
        number = _decimal(value)
        return format(number.normalize(), "f") if isinstance(number, Decimal) and number else (number or None)
    if how == "count":
        number = _decimal(value)
        if isinstance(number, Decimal) and number == number.to_integral_value():
            return int(number)
        return format(number, "f") if isinstance(number, Decimal) else number
    if isinstance(value, list):
        value = value[0] if len(value) == 1 else ", ".join(map(str, value))
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        number = _decimal(value)
        value = format(number.normalize(), "f") if isinstance(number, Decimal) else number
    if not isinstance(value, str):
        return value
    text = value.strip()
    if how == "date" and re.match(r"\d{4}-\d{2}-\d{2}", text):
        return text[:10]
    if how == "time" and (m := re.fullmatch(r"(\d{1,2})[:.](\d{2})(:\d{2})?", text)):
        return f"{int(m.group(1)):02d}:{m.group(2)}"
    if how.startswith("code:"):
        table = mapping.labels.get(how[5:], {})
        return table.get(_norm(text), re.sub(r"[^a-z0-9]+", "_", _norm(text)).strip("_"))
    return text


def _file_urls(value: Any) -> str | None:
    """Typeform's `file_url` (a string) or Tally's FILE_UPLOAD list of {url, name}: the URLs, space-separated
    (the canonical `receipt` holds at most 300 characters). With INVOLVE_RECEIPT_FETCH_HOSTS set, intake
    queues them and the fetch-receipts flow fetches the files (involve/services/receipt_fetches.py)."""
    items = value if isinstance(value, list) else [value]
    urls = [str(i.get("url")) if isinstance(i, dict) else str(i) for i in items if i]
    urls = [u.strip() for u in urls if u and u.strip().startswith(("https://", "http://"))]
    kept: list[str] = []
    for url in urls:  # whole URLs only (a cut one could never be fetched), within the 300 characters
        if len(" ".join([*kept, url])) > 300:
            break
        kept.append(url)
    return " ".join(kept or urls[:1])[:300] or None


def _build(delivery: str, answers: list[tuple[str, Any]], mapping: ProviderMapping) -> dict[str, Any]:
    claim: dict[str, Any] = {"submission_id": delivery}
    amounts: dict[str, Any] = {}
    mileage: dict[str, Any] = {}
    receipts: dict[str, str] = {}
    for target, raw in answers:
        value = _convert(TARGETS[target], raw, mapping)
        if value is None:
            continue
        if target.endswith(".receipt"):
            receipts[target.split(".")[1]] = value
        elif target.startswith("expenses.mileage."):
            mileage[target.rsplit(".", 1)[1]] = value
        elif target.startswith("expenses."):
            amounts[target.split(".", 1)[1]] = value
        elif "." in target:
            parent, leaf = target.split(".", 1)
            claim.setdefault(parent, {})[leaf] = value
        else:
            claim[target] = value
    expenses = [{"kind": "mileage", "vehicle": "car", **mileage} if kind == "mileage"
                else {"kind": kind, "amount": amounts[kind],
                      **({"receipt": receipts[kind]} if kind in receipts else {})}
                for kind in EXPENSE_ORDER if (kind in amounts or (kind == "mileage" and "miles" in mileage))]
    if expenses:
        claim["expenses"] = expenses
    return claim


def _typeform_value(answer: dict[str, Any]) -> Any:
    kind = answer.get("type")
    value = answer.get(kind) if isinstance(kind, str) else None
    if kind == "choice" and isinstance(value, dict):
        return value.get("label") or value.get("other")
    if kind == "choices" and isinstance(value, dict):
        return [*value.get("labels", []), *([value["other"]] if value.get("other") else [])]
    return value


def typeform_to_claim(payload: dict[str, Any], mapping: ProviderMapping) -> tuple[str, dict[str, Any]]:
    """Map a Typeform `form_response` webhook to (delivery id, canonical claim dict)."""
    response = payload.get("form_response") if isinstance(payload, dict) else None
    if not isinstance(response, dict):
        raise ProviderPayloadError("not a Typeform webhook: the body has no form_response object")
    answers = response.get("answers")
    if not isinstance(answers, list):
        raise ProviderPayloadError("not a Typeform webhook: form_response.answers is not a list")
    delivery = response.get("token") or payload.get("event_id")
    if not delivery:
        raise ProviderPayloadError("Typeform webhook has neither form_response.token nor event_id")
    definition = response.get("definition") if isinstance(response.get("definition"), dict) else {}
    ref_by_id = {f.get("id"): f.get("ref") for f in definition.get("fields") or [] if isinstance(f, dict)}
    found: dict[str, Any] = {}
    for answer in answers:
        question = answer.get("field") if isinstance(answer, dict) else None
        if not isinstance(question, dict):
            continue
        target = mapping.typeform.get(question.get("ref") or ref_by_id.get(question.get("id")) or "")
        if target and found.get(target) in (None, "", []):
            found[target] = _typeform_value(answer)
    return str(delivery), _build(str(delivery), list(found.items()), mapping)


def _tally_value(question: dict[str, Any]) -> Any:
    value = question.get("value")
    options = {o.get("id"): o.get("text") for o in question.get("options") or [] if isinstance(o, dict)}
    if not options:
        return value
    if isinstance(value, list):
        return [options.get(v, v) for v in value]
    return options.get(value, value) if isinstance(value, str) else value


def tally_to_claim(payload: dict[str, Any], mapping: ProviderMapping) -> tuple[str, dict[str, Any]]:
    """Map a Tally `FORM_RESPONSE` webhook to (delivery id, canonical claim dict)."""
    data = payload.get("data") if isinstance(payload, dict) else None
    if not isinstance(data, dict) or not isinstance(data.get("fields"), list):
        raise ProviderPayloadError("not a Tally webhook: the body has no data.fields list")
    delivery = data.get("submissionId") or data.get("responseId") or payload.get("eventId")
    if not delivery:
        raise ProviderPayloadError("Tally webhook has none of data.submissionId, data.responseId, eventId")
    by_label = {_norm(ref): target for ref, target in mapping.tally.items()}
    found: dict[str, Any] = {}
    for question in data["fields"]:
        if not isinstance(question, dict):
            continue
        label = _norm(question.get("label") or "")
        target = mapping.tally.get(str(question.get("key"))) or by_label.get(label)
        if target and found.get(target) in (None, "", []):
            found[target] = _tally_value(question)
    return str(delivery), _build(str(delivery), list(found.items()), mapping)
