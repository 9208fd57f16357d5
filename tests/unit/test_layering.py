"""The house rules a newcomer relies on, checked: no import cycle between the project's modules
(imports at module level), and no table query outside the services, the read side, the reports,
the migrations and the three modules that own one table each (the audit chain, link tokens and
the email outbox)."""
from __future__ import annotations

import ast
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = ("involve", "flows", "tasks", "models")
QUERY_OWNERS = ("involve/services/", "involve/views/", "involve/reports/", "involve/migrations/",
                "involve/audit.py", "involve/links.py", "involve/mail/outbox.py", "models/")


def _modules() -> dict[str, Path]:
    found = {}
    for package in PACKAGES:
        for path in (ROOT / package).rglob("*.py"):
            if "migrations/versions" in path.as_posix():
                continue
            found[".".join(path.relative_to(ROOT).with_suffix("").parts).removesuffix(".__init__")] = path
    return found


def _imports(path: Path, modules: dict[str, Path]) -> set[str]:
    deps = set()
    for node in ast.parse(path.read_text()).body:  # module level: what runs when the module is imported
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            deps |= {c for c in (node.module, *(f"{node.module}.{a.name}" for a in node.names)) if c in modules}
        elif isinstance(node, ast.Import):
            deps |= {a.name for a in node.names if a.name in modules}
    return deps


def test_no_import_cycle():
    modules = _modules()
    graph = {name: _imports(path, modules) for name, path in modules.items()}
    cycles, state, stack = [], {}, []

    def visit(name: str) -> None:
        state[name] = "open"
        stack.append(name)
        for dep in sorted(graph[name]):
            if state.get(dep) == "open":
                cycles.append(" -> ".join(stack[stack.index(dep):] + [dep]))
            elif dep not in state:
                visit(dep)
        stack.pop()
        state[name] = "done"

    for name in sorted(graph):
        if name not in state:
            visit(name)
    assert not cycles, "import cycles:\n" + "\n".join(cycles)


def test_tables_are_queried_only_by_their_owners():
    pattern = re.compile(r"(?<![.\w])(select|insert|update|delete)\(|\bsession\.(get|query|execute)\(")
    offenders = []
    for package in PACKAGES:
        for path in (ROOT / package).rglob("*.py"):
            rel = path.relative_to(ROOT).as_posix()
            if rel.startswith(QUERY_OWNERS):
                continue
            if pattern.search(path.read_text()):
                offenders.append(rel)
    assert not offenders, f"query tables through involve/services or involve/views, not in: {offenders}"
