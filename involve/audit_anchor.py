"""Signed audit chain heads kept outside the database (the anchor file, the auditor's mailbox).

An anchor is one JSON line: the chain's last record number and hash at a moment, the first sealed
record, the signing key's id, and an Ed25519 signature (from `cryptography`) over the rest, made
with INVOLVE_AUDIT_KEY (generated under var/ on first run; never stored in the database). The file
is only ever appended to. Someone who rewrites the database cannot make a head that verifies, and
a database restored to an earlier state ends before a head that was signed.
"""
from __future__ import annotations

import base64
import hashlib
import json
import os
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from involve.errors import SettingsError

ANCHOR_FILE = "audit-anchors.jsonl"


@dataclass(frozen=True)
class Anchor:
    seq: int
    hash: str
    at: str
    sealed_from: int | None
    key: str
    signature: str
    line: int = 0

    def body(self) -> dict:
        return {"seq": self.seq, "hash": self.hash, "at": self.at, "sealed_from": self.sealed_from, "key": self.key}

    def as_json(self) -> str:
        return json.dumps(dict(self.body(), signature=self.signature), sort_keys=True, separators=(",", ":"))


class BadAnchorFile(Exception):
    """An anchor line that cannot be trusted (edited, forged, or not an anchor); one plain sentence."""


def default_file() -> Path:
    from involve.settings import var_dir

    return var_dir() / ANCHOR_FILE


def private_key(raw: str | None = None) -> Ed25519PrivateKey:
    if raw is None:
        from involve.settings import settings

        raw = settings.resolved_audit_key
    try:
        seed = base64.urlsafe_b64decode(raw.strip().encode())
        if len(seed) != 32:
            raise ValueError
        return Ed25519PrivateKey.from_private_bytes(seed)
    except (ValueError, TypeError):
        raise SettingsError("INVOLVE_AUDIT_KEY: must be 32 url-safe base64-encoded bytes "
                            "(an Ed25519 key seed)") from None


def public_key_text(key: Ed25519PrivateKey | None = None) -> str:
    """The public half, base64: an auditor can check the signatures with it alone."""
    raw = (key or private_key()).public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)
    return base64.b64encode(raw).decode()


def key_id(public: Ed25519PublicKey) -> str:
    return hashlib.sha256(public.public_bytes(Encoding.Raw, PublicFormat.Raw)).hexdigest()[:16]


def _message(body: dict) -> bytes:
    return json.dumps(body, sort_keys=True, separators=(",", ":")).encode()


def sign(seq: int, head_hash: str, sealed_from: int | None, *, at: datetime | None = None) -> Anchor:
    key = private_key()
    at_text = (at or datetime.now(UTC)).astimezone(UTC).isoformat(timespec="seconds")
    unsigned = Anchor(seq, head_hash, at_text, sealed_from, key_id(key.public_key()), "")
    signature = base64.b64encode(key.sign(_message(unsigned.body()))).decode()
    return Anchor(seq, head_hash, at_text, sealed_from, unsigned.key, signature)


def append(path: Path, anchor: Anchor) -> None:
    """Append one line and flush it to disk (O_APPEND: concurrent writers never overwrite each other)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
    try:
        os.write(fd, (anchor.as_json() + "\n").encode())
        os.fsync(fd)
    finally:
        os.close(fd)


def read(path: Path) -> list[Anchor]:
    """Every anchor in the file, each signature checked against INVOLVE_AUDIT_KEY; BadAnchorFile
    names the first line that is not a good, signed head."""
    public = private_key().public_key()
    anchors = []
    for n, text in enumerate(Path(path).read_text(encoding="utf-8", errors="replace").splitlines(), start=1):
        if not text.strip():
            continue
        try:
            data = json.loads(text)
            anchor = Anchor(int(data["seq"]), str(data["hash"]), str(data["at"]),
                            None if data.get("sealed_from") is None else int(data["sealed_from"]),
                            str(data["key"]), str(data["signature"]), n)
            signature = base64.b64decode(anchor.signature, validate=True)
        except (ValueError, KeyError, TypeError):
            raise BadAnchorFile(f"anchor file {path} line {n}: not a signed chain head") from None
        try:
            public.verify(signature, _message(anchor.body()))
        except InvalidSignature:
            why = ("it was signed with another key (" + anchor.key + ")" if anchor.key != key_id(public)
                   else "the line was edited after it was signed")
            raise BadAnchorFile(f"anchor file {path} line {n}: the signature does not match INVOLVE_AUDIT_KEY "
                                f"({why})") from None
        anchors.append(anchor)
    return anchors
