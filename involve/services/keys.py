"""Data-key rotation: re-encrypt every stored encrypted value under the first INVOLVE_DATA_KEY.

Rotate by putting the new key first and keeping the old one after it (INVOLVE_DATA_KEY="new,old"),
running `involve keys rotate --by E`, then removing the old key. Every `*_encrypted` column of
every table is covered; the rotation is one transaction and one audit record (with the new key's
fingerprint, never the key).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from cryptography.fernet import InvalidToken
from sqlalchemy import func, select, update

from involve import audit, crypto
from involve.db import reader, unit_of_work
from involve.errors import SettingsError
from involve.services.people import require_staff
from involve.settings import settings
from models import Base


@dataclass(frozen=True)
class RotateResult:
    values: int
    columns: list[str]
    key_fingerprint: str


def encrypted_columns() -> list[tuple]:
    return [(t, c) for t in Base.metadata.sorted_tables for c in t.columns if c.name.endswith("_encrypted")]


def key_fingerprint(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()[:12]


def rotate_all(*, by: str) -> RotateResult:
    fp = key_fingerprint(settings.resolved_data_keys[0])
    with unit_of_work() as session:
        actor = require_staff(session, by, "finance", doing="rotate the data key").email
        count, names = 0, []
        for table, col in encrypted_columns():
            names.append(f"{table.name}.{col.name}")
            pk = list(table.primary_key.columns)[0]
            rows = session.execute(select(pk, col).where(col.isnot(None))).all()
            updates = []
            for key, token in rows:
                try:
                    updates.append({"k": key, "v": crypto.rotate(token)})
                except InvalidToken:
                    raise SettingsError(
                        f"INVOLVE_DATA_KEY: no key decrypts {table.name} {key}; keep the old key "
                        'after the new one ("new,old") while rotating'
                    ) from None
            for u in updates:
                session.execute(update(table).where(pk == u["k"]).values({col.name: u["v"]}))
            count += len(updates)
        audit.record(
            session,
            [
                audit.Change(
                    "data_key",
                    f"KEY-{fp}",
                    "rotate",
                    actor,
                    data={"values": count, "columns": names, "key": fp},
                )
            ],
        )
        return RotateResult(count, names, fp)


def unreadable_rows(sample: int = 3) -> list[str]:
    """Stored encrypted values the configured data keys cannot open, as "table id" (the oldest and
    newest few of every encrypted column: a folder moved without its var/, or a key that was
    replaced, shows at either end without reading every row)."""
    bad = []
    with reader() as session:
        for table, col in encrypted_columns():
            pk = list(table.primary_key.columns)[0]
            if not session.execute(select(func.count()).select_from(table).where(col.isnot(None))).scalar_one():
                continue
            for order in (pk.asc(), pk.desc()):
                for key, token in session.execute(select(pk, col).where(col.isnot(None)).order_by(order)
                                                  .limit(sample)).all():
                    try:
                        crypto.fernet().decrypt(token)
                    except InvalidToken:
                        bad.append(f"{table.name} {key}")
    return sorted(set(bad))


def require_readable_data() -> None:
    """Refuse (one line, naming the variable) when the database holds encrypted rows no configured
    data key opens: `serve` and every command that decrypts call this before starting."""
    bad = unreadable_rows()
    if bad:
        source = "the environment" if settings.data_key else str(settings.var_dir / "data-key")
        raise SettingsError(
            f"INVOLVE_DATA_KEY: the key from {source} cannot open encrypted rows in the database "
            f"({', '.join(bad[:3])}); set INVOLVE_HOME or INVOLVE_DATA_KEY to this installation's key - not starting")
