"""The one CSV writer: every CSV the system writes (payment runs, reports) goes through `write_csv`.

Each cell is made safe for a spreadsheet: control characters (line breaks, tabs, NUL, bidi
overrides) are removed, and a cell that would start with `=`, `+`, `-`, `@`, a tab or a carriage
return is prefixed with a single quote `'`, so Excel / LibreOffice show it as text instead of
running it as a formula (OWASP "CSV injection"). The file is written beside its target and renamed
into place (a reader never sees half a file), with the mode asked for (0600 for bank details)
from the moment it exists.
"""
from __future__ import annotations

import csv
import io
import os
from collections.abc import Iterable, Sequence
from pathlib import Path

from involve.domain.text import printable

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value: object) -> str:
    """`value` as text a spreadsheet shows as text: control characters removed, formula starts quoted."""
    raw = "" if value is None else str(value)
    if raw.startswith(FORMULA_START):
        return "'" + printable(raw)
    text = printable(raw)
    return "'" + text if text.startswith(FORMULA_START) else text


def write_bytes(path: Path, data: bytes, *, mode: int | None = None) -> Path:
    """Write `data` to `path` atomically (temp file beside it, fsync, rename): a reader never sees half
    a file. `mode` (e.g. 0o600) is set when the temp file is created, so it is never readable by
    others, even briefly. The one atomic writer of the project (CSV, Bacs and statement files)."""
    path = Path(path)
    tmp = path.with_name(f".{path.name}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o666 if mode is None else mode)
    try:
        if mode is not None:
            os.fchmod(fd, mode)  # whatever the umask, and if the temp file was left by a crash
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


def write_csv(path: Path, header: Sequence[str], rows: Iterable[Sequence[object]], *,
              mode: int | None = None) -> Path:
    """Write `header` and `rows` to `path` atomically (`write_bytes`), every cell made safe."""
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer)
    writer.writerow([safe_cell(h) for h in header])
    for row in rows:
        writer.writerow([safe_cell(v) for v in row])
    return write_bytes(path, buffer.getvalue().encode("utf-8"), mode=mode)
