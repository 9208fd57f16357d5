"""Writing finance files (payment runs, payroll exports, budget reports): atomically (a temporary
file beside the target, renamed into place, so nobody ever reads half a file) and owner-only (0600)
from the first byte.

`write_csv` has the signature of the project's shared CSV writer (`involve/csvfile.py`); when that
is in the build, this module's CSVs go through it instead (one import to swap).
"""
from __future__ import annotations

import csv
import io
import os
from collections.abc import Iterable, Sequence
from pathlib import Path

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value: object) -> str:
    """A cell a spreadsheet shows as text: a formula start is quoted with a leading apostrophe."""
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(FORMULA_START) else text


def write_bytes(path: Path, data: bytes, *, mode: int = 0o600) -> Path:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
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


def write_csv(path: Path, header: Sequence[str], rows: Iterable[Sequence[object]], *,
              mode: int | None = 0o600) -> Path:
    buf = io.StringIO(newline="")
    writer = csv.writer(buf)
    writer.writerow([safe_cell(h) for h in header])
    for row in rows:
        writer.writerow([safe_cell(v) for v in row])
    return write_text(path, buf.getvalue(), mode=0o600 if mode is None else mode)
