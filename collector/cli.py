"""Subcommands of `veille` that belong to `collector`."""

from __future__ import annotations

import argparse
from typing import Any


def register(subparsers: argparse._SubParsersAction[Any]) -> None:
    """Add this package's subcommands (none yet)."""
