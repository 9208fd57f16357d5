"""Writing finance files (payment runs, payroll exports, budget reports): atomically (a temporary
file beside the target, renamed into place, so nobody ever reads half a file) and owner-only (0600)
from the first byte.

CSVs go through the project's one CSV writer (`involve/csvfile.py`: spreadsheet formulas
neutralised); Bacs files, HTML and charts through `write_text`.
"""
from __future__ import annotations

import os
from collections.abc import Iterable, Sequence
from pathlib import Path

from involve import csvfile


def write_bytes(path: Path, data: bytes, *, mode: int = 0o600) -> Path:
    path = Path(path)
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)  # a new folder is owner-only too
    tmp = path.with_name(f".{path.name}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, mode)
    try:
        os.fchmod(fd, mode)  # whatever the umask, and if a crash left the temporary file
        with os.fdopen(fd, "wb") as fh:
            fd = -1
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        if fd != -1:
            os.close(fd)
        tmp.unlink(missing_ok=True)
        raise
    return path


def write_text(path: Path, text: str, *, mode: int = 0o600, encoding: str = "utf-8") -> Path:
    return write_bytes(path, text.encode(encoding), mode=mode)


def write_csv(path: Path, header: Sequence[str], rows: Iterable[Sequence[object]]) -> Path:
    """Through the project's one CSV writer (spreadsheet formulas neutralised, atomic), owner-only."""
    Path(path).parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    return csvfile.write_csv(path, header, rows, mode=0o600)
