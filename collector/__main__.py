"""`python -m collector run ...`: the collector alone, without loading every
package's command line (the rules engine's pandas, the web's SQLAlchemy);
the same options as `veille collector run`. For lean service units."""

from __future__ import annotations

import argparse
import sys

from collector.cli import register


def main() -> int:
    parser = argparse.ArgumentParser(prog="python -m collector")
    parser.add_argument("--config", help="TOML configuration file (default: $VEILLE_CONFIG)")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND")
    register(subparsers)
    args = parser.parse_args(["collector", *sys.argv[1:]] if sys.argv[1:2] == ["run"] else None)
    handler = getattr(args, "handler", None)
    if handler is None:
        parser.print_help()
        return 2
    code: int = handler(args)
    return code


if __name__ == "__main__":
    sys.exit(main())
