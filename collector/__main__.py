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
    argv = sys.argv[1:]
    if "run" in argv:  # `python -m collector [--config F] run ...` = `veille collector run`
        at = argv.index("run")
        argv = [*argv[:at], "collector", *argv[at:]]
    args = parser.parse_args(argv)
    handler = getattr(args, "handler", None)
    if handler is None:
        parser.print_help()
        return 2
    code: int = handler(args)
    return code


if __name__ == "__main__":
    sys.exit(main())
