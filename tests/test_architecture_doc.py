"""docs/architecture.md stays true: every file it names exists, every package is on its map."""

from __future__ import annotations

import re
from pathlib import Path

from wire import topics

ROOT = Path(__file__).resolve().parents[1]
DOC = ROOT / "docs" / "architecture.md"
PACKAGES = ("wire", "veille", "devices", "gateway", "collector", "alerts", "sharing", "web", "demo")


def test_every_path_the_map_names_exists() -> None:
    text = DOC.read_text()
    named = set(re.findall(r"`([a-z_]+/[A-Za-z0-9_./-]*)`", text))
    assert len(named) > 40  # the path of a reading names its files
    missing = sorted(
        path
        for path in named
        if not path.startswith(topics.ROOT)  # topics, not files
        and not (ROOT / path).exists()
        and not (ROOT / path.split(" ")[0]).exists()
    )
    assert not missing, f"docs/architecture.md names files that are not there: {missing}"


def test_every_package_is_on_the_map_and_maps_its_modules() -> None:
    text = DOC.read_text()
    for package in PACKAGES:
        assert f"`{package}/`" in text, package
        init = (ROOT / package / "__init__.py").read_text()
        modules = [p.stem for p in (ROOT / package).glob("*.py") if p.stem != "__init__"]
        unmapped = [m for m in modules if f"`{m}`" not in init and f"`{package}.{m}`" not in init]
        assert not unmapped, f"{package}/__init__.py does not list {unmapped}"
