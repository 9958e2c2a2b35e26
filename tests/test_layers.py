"""Hotline's packages form layers: no import cycle between them, and no lower layer imports a higher one.

The test reads every module's source (AST), so an import inside a function
counts as much as one at the top of a file. A "unit" is a package under
`hotline/` or a top-level module (`hotline/privacy.py` is "privacy"). The same
table is in docs/architecture.md ("Layers").
"""

from __future__ import annotations

import ast
from collections import defaultdict
from pathlib import Path

HOTLINE = Path(__file__).resolve().parents[1] / "hotline"

LAYERS: list[tuple[str, ...]] = [
    # foundations: no domain knowledge
    (
        "clock",
        "db",
        "extensions",
        "vocabulary",
        "signals",
        "caching",
        "i18n",
        "nav",
        "redaction",
        "request_log",
        "privacy",
        "settings",
        "push",
        "audit",
        "access",
        "api_errors",
        "inputs",
        "api_contract",
        "api",
        "spreadsheets",
        "web",
        "workdays",
    ),
    ("gateway", "robots"),  # Twilio's part; the work-chat robots. Only configuration and foundations
    ("accounts", "directory", "sms"),
    ("telephony",),
    ("rota",),
    ("routing",),
    ("cases",),
    ("escalation",),
    ("callbacks",),
    ("console", "workorders"),
    ("knowledge", "reports", "home", "manage", "wallboard"),
    # the application: assembles and runs everything above
    ("ops", "scheduler", "demo", "demo_history", "commands", "models", "__init__"),
]
LAYER_OF = {unit: number for number, units in enumerate(LAYERS) for unit in units}


def module_name(path: Path) -> str:
    """Return the dotted module name of a file under hotline/."""
    parts = list(path.relative_to(HOTLINE.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def unit_of(module: str) -> str:
    """Return the unit of a hotline module: hotline.cases.models -> cases, hotline -> __init__."""
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else "__init__"


def is_module(dotted: str) -> bool:
    """Tell whether a dotted name under hotline is a module or package (not a name inside one)."""
    path = HOTLINE.parent.joinpath(*dotted.split("."))
    return path.with_suffix(".py").exists() or (path / "__init__.py").exists()


def imported_modules(path: Path) -> list[tuple[int, str]]:
    """Return (line, module) for every hotline import in a file, wherever in the file it is."""
    module = module_name(path)
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - (node.level - 1)]
                base = ".".join([*anchor, base] if base else anchor)
            for alias in node.names:
                target = f"{base}.{alias.name}"
                found.append((node.lineno, target if is_module(target) else base))
    return [(line, name) for line, name in found if name == "hotline" or name.startswith("hotline.")]


def unit_imports() -> dict[tuple[str, str], list[str]]:
    """Return, for each pair of units (importer, imported), where the imports are (path:line)."""
    edges: dict[tuple[str, str], list[str]] = defaultdict(list)
    for path in sorted(HOTLINE.rglob("*.py")):
        importer = unit_of(module_name(path))
        for line, imported in imported_modules(path):
            target = unit_of(imported)
            place = f"{path.relative_to(HOTLINE.parent)}:{line}"
            if target != importer and place not in edges[(importer, target)]:
                edges[(importer, target)].append(place)
    return edges


def cycles(edges: dict[tuple[str, str], list[str]]) -> list[list[str]]:
    """Return the groups of units that import each other, directly or round a loop (Tarjan)."""
    graph: dict[str, set[str]] = defaultdict(set)
    for importer, imported in edges:
        graph[importer].add(imported)
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    groups: list[list[str]] = []

    def visit(unit: str) -> None:
        index[unit] = low[unit] = len(index)
        stack.append(unit)
        for other in sorted(graph[unit]):
            if other not in index:
                visit(other)
                low[unit] = min(low[unit], low[other])
            elif other in stack:
                low[unit] = min(low[unit], index[other])
        if low[unit] == index[unit]:
            group = []
            while True:
                member = stack.pop()
                group.append(member)
                if member == unit:
                    break
            if len(group) > 1:
                groups.append(sorted(group))

    for unit in sorted(set(graph) | {b for _a, b in edges}):
        if unit not in index:
            visit(unit)
    return groups


def test_every_unit_has_a_layer() -> None:
    units = {unit_of(module_name(path)) for path in HOTLINE.rglob("*.py")}
    assert sorted(units - set(LAYER_OF)) == [], "place the new package or module in LAYERS (and docs/architecture.md)"


def test_no_import_cycle_between_packages() -> None:
    edges = unit_imports()
    found = cycles(edges)
    detail = {f"{a} -> {b}": places for group in found for (a, b), places in edges.items() if a in group and b in group}
    assert found == [], f"import cycles: {found}; imports: {detail}"


def test_no_lower_layer_imports_a_higher_one() -> None:
    upward = {
        f"{importer} -> {imported}": places
        for (importer, imported), places in unit_imports().items()
        if importer in LAYER_OF and imported in LAYER_OF and LAYER_OF[importer] < LAYER_OF[imported]
    }
    assert upward == {}


def test_the_walk_counts_imports_inside_functions() -> None:
    # scheduler.py imports Setting only inside the function that beats.
    source = (HOTLINE / "scheduler.py").read_text(encoding="utf-8")
    assert "\nfrom hotline.settings" not in source
    assert "hotline.settings" in {name for _line, name in imported_modules(HOTLINE / "scheduler.py")}


def test_a_loop_through_three_packages_is_a_cycle() -> None:
    edges = {("a", "b"): ["x"], ("b", "c"): ["y"], ("c", "a"): ["z"], ("c", "d"): ["w"]}
    assert cycles(edges) == [["a", "b", "c"]]
