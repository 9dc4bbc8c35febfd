"""`veille demo`: the whole system on this machine, the radios simulated."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from demo.options import DEFAULT_SPEED, HISTORY_DAYS, DemoOptions


def _positive(text: str) -> float:
    try:
        value = float(text)
    except ValueError as err:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number") from err
    if value <= 0:
        raise argparse.ArgumentTypeError(f"{text!r} must be above 0")
    return value


def _run(args: argparse.Namespace) -> int:
    try:
        from demo.runner import run  # late: pulls in every package
    except KeyboardInterrupt:  # Ctrl-C before the demo's own handler is in place
        return 0

    return run(
        DemoOptions(
            data_dir=args.data_dir,
            duration_s=args.duration,
            reset=args.reset,
            speed=args.speed,
            port=args.port,
        )
    )


def register(subparsers: argparse._SubParsersAction[Any]) -> None:
    default_speed = DEFAULT_SPEED
    demo = subparsers.add_parser(
        "demo",
        help="run everything on this machine with a simulated household",
        description=(
            "Embedded broker, collector, rules, web app and a simulated household: the "
            f"last {HISTORY_DAYS} days replayed fast, then live. Ctrl-C stops cleanly."
        ),
    )
    demo.add_argument(
        "--duration", type=_positive, metavar="SECONDS", help="stop by itself after SECONDS"
    )
    demo.add_argument(
        "--data-dir",
        type=Path,
        default=Path("demo-data"),
        metavar="DIR",
        help="where the stores live (default ./demo-data); a second run continues there",
    )
    demo.add_argument("--reset", action="store_true", help="start the data directory over")
    demo.add_argument(
        "--speed",
        type=_positive,
        default=default_speed,
        metavar="N",
        help=f"simulated seconds per real second while replaying (default {default_speed:.0f}: "
        f"{HISTORY_DAYS} days in about 45 s); much above 100000 the radio's real-time "
        "delays (a retry's back-off) turn into days of simulated silence",
    )
    demo.add_argument("--port", type=int, default=8080, help="web app port on 127.0.0.1")
    demo.set_defaults(handler=_run)
