"""Writing finance files (payment runs, payroll exports, budget reports): atomically (a temporary
file beside the target, renamed into place, so nobody ever reads half a file) and owner-only (0600)
from the first byte.

CSVs go through the project's one CSV writer (`involve/csvfile.py`: spreadsheet formulas
neutralised); Bacs files, HTML and charts through `write_text`.
"""
from __future__ import annotations

from collections.abc import Iterable, Sequence
from pathlib import Path

from involve import csvfile


def write_bytes(path: Path, data: bytes, *, mode: int = 0o600) -> Path:
    """Atomically, owner-only, in an owner-only folder (the one atomic writer: involve/csvfile.py)."""
    Path(path).parent.mkdir(mode=0o700, parents=True, exist_ok=True)  # a new folder is owner-only too
    return csvfile.write_bytes(path, data, mode=mode)


def write_text(path: Path, text: str, *, mode: int = 0o600, encoding: str = "utf-8") -> Path:
    return write_bytes(path, text.encode(encoding), mode=mode)


def write_csv(path: Path, header: Sequence[str], rows: Iterable[Sequence[object]]) -> Path:
    """Through the project's one CSV writer (spreadsheet formulas neutralised, atomic), owner-only."""
    Path(path).parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    return csvfile.write_csv(path, header, rows, mode=0o600)
