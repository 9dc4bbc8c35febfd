"""Every Bluetooth UUID is named once, in `devices.uuids`, and the code uses the names."""

from __future__ import annotations

import ast
from pathlib import Path

from devices import uuids

ROOT = Path(__file__).resolve().parents[2]
CODE = ("devices", "gateway", "plugins", "demo")


def _assigned() -> dict[str, str]:
    return {k: v for k, v in vars(uuids).items() if k.isupper() and isinstance(v, str)}


def test_each_uuid_has_one_name() -> None:
    values = list(_assigned().values())
    assert len(values) == len(set(values))
    assert all(len(v) == 4 and v == v.upper() for v in values)
    assert uuids.PLX_SPOT_CHECK_MEASUREMENT == "2A5E"  # the SIG's number, not a made-up one


def test_no_uuid_is_spelled_outside_the_table() -> None:
    known = set(_assigned().values())
    offences = []
    for folder in CODE:
        for path in sorted((ROOT / folder).rglob("*.py")):
            if path.name == "uuids.py":
                continue
            tree = ast.parse(path.read_text())
            docs = {
                id(node.body[0].value)
                for node in ast.walk(tree)
                if isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef)
                and node.body
                and isinstance(node.body[0], ast.Expr)
            }
            offences += [
                f"{path.relative_to(ROOT)}:{node.lineno} {node.value}"
                for node in ast.walk(tree)
                if isinstance(node, ast.Constant)
                and isinstance(node.value, str)
                and node.value.upper() in known
                and id(node) not in docs
            ]
    assert not offences, offences
