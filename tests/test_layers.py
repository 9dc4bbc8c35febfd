"""The floors of the house, checked on the source: ground floor, product, top; no cycle.

``veille`` (shared ground) and ``wire`` (the MQTT contract) import no product
package; ``demo`` may import everything and nothing imports it; no two modules
import each other, directly or around a loop. See docs/architecture.md, "Packages".
"""

from __future__ import annotations

import ast
import sys
from pathlib import Path

import pytest

from tests.support.imports import cycles, graph, modules

ROOT = Path(__file__).resolve().parents[1]
GROUND = ("veille", "wire")
PRODUCT = ("devices", "gateway", "collector", "alerts", "sharing", "fleet", "web")
TOP = ("demo",)
PACKAGES = GROUND + PRODUCT + TOP
#: The ground floor names product modules only in these two registries, as data, the way
#: entry points name drivers: the command table of the front door, and the packages whose
#: tables and migrations the database assembles. Each loads one kind of module.
REGISTRIES = {
    ROOT / "veille" / "cli.py": (("COMMAND_MODULES", "OWNERS"), ".cli"),
    ROOT / "veille" / "db.py": (("MODEL_PACKAGES",), ""),
}


def _registry(path: Path, names: tuple[str, ...]) -> set[str]:
    """The strings assigned to ``names`` at the top of ``path``."""
    found: set[str] = set()
    for node in ast.parse(path.read_text()).body:
        targets = node.targets if isinstance(node, ast.Assign) else []
        if isinstance(node, ast.AnnAssign):
            targets = [node.target]
        if any(isinstance(t, ast.Name) and t.id in names for t in targets):
            found |= {
                c.value
                for c in ast.walk(node)
                if isinstance(c, ast.Constant) and isinstance(c.value, str)
            }
    return found


#: calls that load a module by name
LOADERS = ("import_module", "__import__")


def _edges() -> dict[str, set[str]]:
    return graph(ROOT, PACKAGES)


def test_the_graph_sees_function_level_and_relative_imports(tmp_path: Path) -> None:
    (tmp_path / "pkg").mkdir()
    (tmp_path / "pkg" / "__init__.py").write_text("")
    (tmp_path / "pkg" / "a.py").write_text("def f() -> None:\n    from pkg import b\n")
    (tmp_path / "pkg" / "b.py").write_text("from . import c\n")
    (tmp_path / "pkg" / "c.py").write_text("import pkg.a\n")
    edges = graph(tmp_path, ["pkg"])
    assert edges["pkg.a"] == {"pkg.b"}
    assert edges["pkg.b"] == {"pkg.c"}
    assert cycles(edges) == [["pkg.a", "pkg.b", "pkg.c"]]


def test_no_module_imports_itself_around_a_loop() -> None:
    assert cycles(_edges()) == []


@pytest.mark.parametrize("package", GROUND)
def test_the_ground_floor_imports_no_product(package: str) -> None:
    above = PRODUCT + TOP + tuple(p for p in GROUND if p != package)
    offences = sorted(
        f"{module} imports {target}"
        for module, targets in _edges().items()
        if module.split(".")[0] == package
        for target in targets
        if target.split(".")[0] in above
    )
    assert not offences


@pytest.mark.parametrize("path", sorted(REGISTRIES), ids=lambda p: p.name)
def test_the_ground_floor_names_product_modules_only_in_its_registries(path: Path) -> None:
    names, suffix = REGISTRIES[path]
    table = _registry(path, names)
    modules_named = {entry for entry in table if entry.split(".")[0] in PRODUCT + TOP}
    assert modules_named, f"{path.name}: the registry {names} is empty or renamed"
    assert all(entry.endswith(suffix) for entry in modules_named if "." in entry)
    if path.name == "cli.py":
        assert "demo.cli" in table  # `veille demo` is reached by name, never imported


def test_no_other_ground_module_loads_a_module_by_name() -> None:
    """A product module loaded by name elsewhere would dodge the import rule."""
    offences = [
        f"{name}:{node.lineno}"
        for name, path in modules(ROOT, GROUND).items()
        if path not in REGISTRIES
        for node in ast.walk(ast.parse(path.read_text()))
        if isinstance(node, ast.Call)
        and getattr(node.func, "attr", getattr(node.func, "id", ""))
        in ("import_module", "__import__")
    ]
    assert offences == []


def test_wire_needs_only_pydantic_and_the_standard_library() -> None:
    allowed = set(sys.stdlib_module_names) | {"pydantic", "wire", "__future__"}
    found = set()
    for path in (ROOT / "wire").rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Import):
                found |= {alias.name.split(".")[0] for alias in node.names}
            elif isinstance(node, ast.ImportFrom) and node.module:
                found.add(node.module.split(".")[0])
    assert found <= allowed, sorted(found - allowed)


def test_nothing_imports_the_demo() -> None:
    importers = sorted(
        module
        for module, targets in graph(ROOT, PACKAGES).items()
        if module.split(".")[0] != "demo" and any(t.split(".")[0] == "demo" for t in targets)
    )
    assert importers == []
