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
    "fleet.cli",
    "demo.cli",
)

#: Which module owns each command, so `veille <command>` imports that module alone: the
#: gateway on a Pi must not load pandas and SQLAlchemy (60 MB) just to start, nor a
#: collector the web stack. `veille --help` still imports them all.
OWNERS = {
    "decode": "devices.cli",
    "devices": "devices.cli",
    "gateway": "gateway.cli",
    "pair": "gateway.cli",
    "collector": "collector.cli",
    "export": "collector.cli",
    "alerts": "alerts.cli",
    "sharing": "sharing.cli",
    "web": "web.cli",
    "fleet": "fleet.cli",
    "demo": "demo.cli",
}


def build_parser(modules: Sequence[str] = COMMAND_MODULES) -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="veille", description="Home monitoring for chronic care.")
    parser.add_argument("--version", action="version", version=f"veille {__version__}")
    parser.add_argument("--config", help="TOML configuration file (default: $VEILLE_CONFIG)")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name in modules:
        importlib.import_module(name).register(subparsers)
    return parser


def _command(argv: Sequence[str]) -> str | None:
    """The subcommand named in ``argv`` (skipping ``--config FILE``), if any."""
    words = iter(argv)
    for word in words:
        if word == "--config":
            next(words, None)
        elif not word.startswith("-"):
            return word
    return None


def main(argv: Sequence[str] | None = None) -> int:
    words = sys.argv[1:] if argv is None else list(argv)
    owner = OWNERS.get(_command(words) or "")
    parser = build_parser((owner,) if owner else COMMAND_MODULES)
    args = parser.parse_args(words)
    handler = getattr(args, "handler", None)
    if handler is None:
        parser.print_help()
        return 2
    code: int = handler(args)
    return code


if __name__ == "__main__":
    sys.exit(main())
