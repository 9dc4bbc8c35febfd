"""The package boundaries of docs/architecture.md ("Packages"), checked on the source."""

from __future__ import annotations

import ast
import tomllib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]

#: package -> top-level modules it must never import (docs/architecture.md, "must not").
FORBIDDEN: dict[str, set[str]] = {
    # drivers decode bytes; they open no sockets and know neither MQTT nor storage
    "devices": {
        "paho",
        "influxdb_client",
        "fastapi",
        "sqlalchemy",
        "gateway",
        "collector",
        "alerts",
        "sharing",
        "web",
        "socket",
        "sqlite3",
    },
    # the gateway decodes nothing itself and knows nothing of the server side
    "gateway": {"collector", "alerts", "sharing", "web", "fleet", "influxdb_client", "fastapi"},
    # the collector stores; clinical rules are not its business
    "collector": {"alerts", "sharing", "web", "gateway", "fleet", "fastapi"},
    "alerts": {"web", "gateway", "fastapi"},
    "sharing": {"web", "alerts", "gateway", "collector", "fastapi"},
    "web": {"gateway"},
    # fleet health is server-side operations: no pages, no radio, no clinical rules
    "fleet": {"web", "gateway", "alerts", "devices", "fastapi", "influxdb_client"},
}

#: product packages: the ground floor (`veille`, `wire`) imports none of them
PRODUCT = {"devices", "gateway", "collector", "alerts", "sharing", "web", "fleet", "demo"}
# the wire format is the contract both sides import: pydantic and the standard library only
FORBIDDEN["wire"] = PRODUCT | {"veille", "paho", "sqlalchemy", "fastapi", "influxdb_client"}


def imported_top_levels(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(), filename=str(path))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module.split(".")[0])
    return names


@pytest.mark.parametrize("package", sorted(FORBIDDEN))
def test_package_respects_its_boundary(package: str) -> None:
    files = sorted((ROOT / package).rglob("*.py"))
    assert files, f"package {package} has no source"
    offences = {
        f"{path.relative_to(ROOT)} imports {name}"
        for path in files
        for name in imported_top_levels(path) & FORBIDDEN[package]
    }
    assert not offences, sorted(offences)


def test_vectors_ship_with_the_repository() -> None:
    """The repository stands alone: the decode vectors are in tests/data, not ../shared."""
    assert (ROOT / "tests" / "data" / "gatt.json").is_file()


#: The house rule: a module that passes this is asking to be split (STYLE.md, "Size").
MAX_LINES = 400
#: Trees that are not the project's own code.
NOT_OURS = {".venv", "build", ".git", "node_modules", ".mypy_cache", ".ruff_cache"}


def test_no_python_file_is_over_400_lines() -> None:
    files = [p for p in ROOT.rglob("*.py") if not NOT_OURS & set(p.relative_to(ROOT).parts)]
    counted = {p.relative_to(ROOT).parts[0] for p in files}
    # the product packages, bench, plugins and tests are all among what is counted
    assert {"collector", "alerts", "web", "bench", "plugins", "tests"} <= counted
    too_long = {
        str(path.relative_to(ROOT)): lines
        for path in files
        if (lines := len(path.read_text().splitlines())) > MAX_LINES
    }
    assert not too_long, f"split these (lines over {MAX_LINES}): {too_long}"


def test_mypy_checks_every_python_file() -> None:
    """A new package (or a stray script) cannot slip out of mypy strict."""
    config = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["mypy"]
    checked = [ROOT / entry for entry in config["files"]]
    assert config["strict"] is True
    left_out = sorted(
        str(path.relative_to(ROOT))
        for path in ROOT.rglob("*.py")
        if not NOT_OURS & set(path.relative_to(ROOT).parts)
        and not any(path == root or root in path.parents for root in checked)
    )
    assert not left_out, f"add to [tool.mypy] files: {left_out}"


def test_no_test_sleeps_for_a_fixed_time() -> None:
    """Tests wait on a condition with a deadline (`tests.support.waits`), or an injected
    clock: a fixed sleep is too short on a loaded machine and too long everywhere else."""
    waits = ROOT / "tests" / "support" / "waits.py"
    offences = []
    for path in sorted((ROOT / "tests").rglob("*.py")):
        if path == waits:
            continue
        for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
            if isinstance(node, ast.Call):
                func = node.func
                name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
                if name == "sleep":
                    offences.append(f"{path.relative_to(ROOT)}:{node.lineno}")
    assert not offences, f"wait with tests.support.waits instead: {offences}"
