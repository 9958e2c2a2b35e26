"""The gateway stands on its own: nothing in it imports the rest of hotline."""

from __future__ import annotations

import ast
from pathlib import Path

import hotline.gateway

ALLOWED = ("hotline.gateway", "config")


def imported_modules(path: Path) -> list[tuple[int, str]]:
    """Return every module a file imports, at any depth (inside functions too), with its line."""
    found = []
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.append((node.lineno, node.module))
        elif isinstance(node, ast.ImportFrom) and node.level:
            found.append((node.lineno, "." * node.level + (node.module or "")))
    return found


def test_the_gateway_imports_nothing_of_hotline_but_itself_and_configuration() -> None:
    root = Path(hotline.gateway.__file__).parent
    files = sorted(root.rglob("*.py"))
    assert len(files) > 10
    outside = [
        f"{path.relative_to(root)}:{line} imports {module}"
        for path in files
        for line, module in imported_modules(path)
        if module.startswith(".") or (module.split(".")[0] in ("hotline", "config") and not module.startswith(ALLOWED))
    ]
    assert outside == []
