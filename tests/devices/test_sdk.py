"""The driver SDK (`devices.SDK`, `devices.__all__`) is all a driver may import from `devices`.

Checked on the vendor plugin (plugins/*) and on our own registered drivers, which
are the model a vendor copies: a name from `devices` outside the SDK fails here.
"""

from __future__ import annotations

import ast
import tomllib
from pathlib import Path

import pytest

import devices

ROOT = Path(__file__).resolve().parents[2]


def _driver_modules() -> list[Path]:
    """Our drivers as the entry points register them, and every plugin's modules."""
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    ours = {
        ROOT / (target.split(":")[0].replace(".", "/") + ".py")
        for target in project["entry-points"]["veille.devices"].values()
    }
    return sorted(ours | set((ROOT / "plugins").rglob("*.py")))


def test_all_is_the_sdk() -> None:
    assert sorted(devices.__all__) == sorted(devices.SDK)


@pytest.mark.parametrize("name", sorted(devices.SDK))
def test_every_sdk_name_is_there(name: str) -> None:
    assert getattr(devices, name) is not None


def test_a_name_outside_the_sdk_is_refused() -> None:
    with pytest.raises(AttributeError, match="not in the SDK"):
        _ = devices.decode_with_quirks


@pytest.mark.parametrize("path", _driver_modules(), ids=lambda p: str(p.relative_to(ROOT)))
def test_drivers_use_only_the_sdk(path: Path) -> None:
    offences = []
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom) and (node.module or "").split(".")[0] == "devices":
            offences += [
                f"{node.module}.{alias.name}"
                for alias in node.names
                if devices.SDK.get(alias.name) != node.module
            ]
        elif isinstance(node, ast.Import):
            offences += [a.name for a in node.names if a.name.split(".")[0] == "devices"]
    assert not offences, f"not in devices.SDK: {offences}"
