"""`veille`: one command line in front of every part.

Each package contributes its own subcommands through a module with a
``register(subparsers)`` function; this file only assembles them, so a
package's command line lives beside the code it drives.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence

from veille import __version__

#: Modules that add subcommands, in the order `veille --help` lists them.
COMMAND_MODULES = (
    "devices.cli",
    "gateway.cli",
    "collector.cli",
    "alerts.cli",
    "sharing.cli",
    "web.cli",
    "veille.demo_cli",
)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="veille", description="Home monitoring for chronic care.")
    parser.add_argument("--version", action="version", version=f"veille {__version__}")
    parser.add_argument("--config", help="TOML configuration file (default: $VEILLE_CONFIG)")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name in COMMAND_MODULES:
        importlib.import_module(name).register(subparsers)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    handler = getattr(args, "handler", None)
    if handler is None:
        parser.print_help()
        return 2
    code: int = handler(args)
    return code


if __name__ == "__main__":
    sys.exit(main())
