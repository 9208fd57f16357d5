"""Files that hold personal data: created owner-only (0600) from the first byte, and cleared after
their retention period."""
from __future__ import annotations

import os
import time
from pathlib import Path
from typing import IO


def open_private(path: Path, mode: str = "w", **kwargs) -> IO:
    """Open `path` for writing, created with mode 0600 whatever the umask: no moment exists when
    another user can read it. An existing file is replaced (its old permissions do not carry over)."""
    path = Path(path)
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    try:
        path.unlink()
    except FileNotFoundError:
        pass
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    return os.fdopen(fd, mode, **kwargs)


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
