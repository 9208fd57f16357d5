"""Where receipt files live: one interface, encrypted at rest with the data key (involve.crypto).

    database   (default) a `stored_files` row per file, written in the caller's transaction
    folder     INVOLVE_RECEIPT_STORAGE=/some/path: one encrypted file per key under that folder

`put` answers a key; `get` answers the bytes. S3-style storage can be another class with the same
three methods.
"""
from __future__ import annotations

import os
import secrets
from pathlib import Path
from typing import Protocol

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from involve import crypto
from involve.settings import settings
from models import StoredFile


class FileStore(Protocol):
    def put(self, session: Session, data: bytes) -> str: ...
    def get(self, session: Session, key: str) -> bytes: ...
    def delete(self, session: Session, key: str) -> None: ...


class DatabaseStore:
    def put(self, session: Session, data: bytes) -> str:
        key = "db-" + secrets.token_hex(16)
        session.add(StoredFile(key=key, data=crypto.encrypt_bytes(data)))
        return key

    def get(self, session: Session, key: str) -> bytes:
        blob = session.execute(select(StoredFile.data).where(StoredFile.key == key)).scalar_one()
        return crypto.decrypt_bytes(blob)

    def delete(self, session: Session, key: str) -> None:
        session.execute(delete(StoredFile).where(StoredFile.key == key))


class FolderStore:
    def __init__(self, folder: Path) -> None:
        self.folder = folder

    def _path(self, key: str) -> Path:
        if not key.startswith("fs-") or not key[3:].isalnum():
            raise ValueError("not a stored file key")
        return self.folder / key

    def put(self, session: Session, data: bytes) -> str:
        self.folder.mkdir(parents=True, exist_ok=True, mode=0o700)
        key = "fs-" + secrets.token_hex(16)
        fd = os.open(self._path(key), os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "wb") as fh:
            fh.write(crypto.encrypt_bytes(data))
        return key

    def get(self, session: Session, key: str) -> bytes:
        return crypto.decrypt_bytes(self._path(key).read_bytes())

    def delete(self, session: Session, key: str) -> None:
        self._path(key).unlink(missing_ok=True)


def store() -> FileStore:
    where = settings.receipt_storage
    return DatabaseStore() if where in ("", "database") else FolderStore(Path(where))


def _store_of(key: str) -> FileStore:
    return DatabaseStore() if key.startswith("db-") else FolderStore(Path(settings.receipt_storage))


def read(session: Session, key: str) -> bytes:
    """Any stored file by its key, whichever back end wrote it."""
    return _store_of(key).get(session, key)


def remove(session: Session, key: str) -> None:
    _store_of(key).delete(session, key)
