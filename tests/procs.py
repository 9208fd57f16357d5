"""Child processes as Linux's /proc shows them, for tests that check what a process started or left.

Reads every /proc/<pid>/stat and keeps those whose parent is the given pid: unlike
/proc/<pid>/task/<tid>/children, this does not depend on which of the parent's threads started a child,
and a thread ending while it is read cannot hide one."""
from __future__ import annotations

from pathlib import Path


def children(parent: int, *, zombies: bool = False) -> dict[int, str]:
    """pid -> command line of each direct child of `parent` (exited-but-unreaped ones only if `zombies`)."""
    out = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            state, ppid = (entry / "stat").read_text().rsplit(")", 1)[1].split()[:2]
            if int(ppid) != parent or (state == "Z" and not zombies):
                continue
            out[int(entry.name)] = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode()
        except (OSError, ValueError):
            pass  # gone meanwhile
    return out
