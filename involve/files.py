"""Files on disk: payment-run files cleared after their retention period, and a writability probe
for /health. (CSV files are written owner-only by involve/csvfile.py.)"""
from __future__ import annotations

import os
import time
from pathlib import Path


def remove_older_than(folder: Path, days: int, pattern: str = "*", *, now: float | None = None) -> list[Path]:
    """Delete the files in `folder` matching `pattern` last written more than `days` days ago."""
    folder = Path(folder)
    if not folder.is_dir():
        return []
    cutoff = (time.time() if now is None else now) - days * 86400
    removed = []
    for path in sorted(folder.glob(pattern)):
        try:
            if path.is_file() and path.stat().st_mtime < cutoff:
                path.unlink()
                removed.append(path)
        except FileNotFoundError:
            continue
    return removed


def writable_dir(folder: Path) -> bool:
    """A file can be created, written, synced and removed in `folder` (permissions, a read-only
    mount or a full disk all show; os.access alone does not, for root)."""
    import tempfile

    try:
        with tempfile.NamedTemporaryFile(dir=folder, prefix=".health-", delete=True) as fh:
            fh.write(b"ok")
            fh.flush()
            os.fsync(fh.fileno())
        return True
    except OSError:
        return False
