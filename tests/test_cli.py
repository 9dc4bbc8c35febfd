"""`veille` finds every command, and each command loads only its own package."""

from __future__ import annotations

import argparse
import subprocess
import sys

import pytest

from veille.cli import COMMAND_MODULES, OWNERS, build_parser


def test_every_registered_command_has_its_owner() -> None:
    parser = build_parser()
    sub = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    commands = set(sub.choices)
    assert commands == set(OWNERS)
    assert set(OWNERS.values()) == set(COMMAND_MODULES)


@pytest.mark.parametrize(("command", "heavy"), [("gateway", "pandas"), ("decode", "sqlalchemy")])
def test_a_command_does_not_load_what_it_does_not_use(command: str, heavy: str) -> None:
    probe = (
        "import sys; from veille.cli import OWNERS, build_parser; "
        f"build_parser((OWNERS[{command!r}],)); print({heavy!r} in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"
