"""Bank details at rest: Fernet (AES-128-CBC + HMAC) from `cryptography`, keyed by INVOLVE_DATA_KEY.

INVOLVE_DATA_KEY may list several keys, newest first; MultiFernet decrypts with any and encrypts
with the first, so `rotate` re-encrypts old rows under the new key.
"""
from __future__ import annotations

import json
from functools import lru_cache

from cryptography.fernet import Fernet, InvalidToken, MultiFernet

from involve.errors import SettingsError


@lru_cache(maxsize=4)
def _fernet(keys: tuple[str, ...]) -> MultiFernet:
    try:
        return MultiFernet([Fernet(k.encode()) for k in keys])
    except (ValueError, TypeError):
        raise SettingsError("INVOLVE_DATA_KEY: each key must be 32 url-safe base64-encoded bytes "
                            "(make one with: python -c 'from cryptography.fernet import Fernet; "
                            "print(Fernet.generate_key().decode())')") from None


def fernet() -> MultiFernet:
    from involve.settings import settings

    return _fernet(tuple(settings.resolved_data_keys))


def encrypt_json(data: dict) -> bytes:
    return fernet().encrypt(json.dumps(data, sort_keys=True).encode())


def decrypt_json(token: bytes) -> dict:
    try:
        return json.loads(fernet().decrypt(token))
    except InvalidToken:
        raise SettingsError("INVOLVE_DATA_KEY: this key cannot decrypt stored bank details") from None


def encrypt_bytes(data: bytes) -> bytes:
    return fernet().encrypt(data)


def decrypt_bytes(token: bytes) -> bytes:
    try:
        return fernet().decrypt(token)
    except InvalidToken:
        raise SettingsError("INVOLVE_DATA_KEY: this key cannot decrypt a stored file") from None


def rotate(token: bytes) -> bytes:
    return fernet().rotate(token)


def mask_account(account_number: str | None, sort_code: str | None = None) -> str | None:
    """At most the last 2 digits of the account number are ever shown."""
    if not account_number:
        return None
    return "******" + account_number[-2:]
