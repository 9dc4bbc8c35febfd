"""Subcommands of `veille` that belong to `gateway`: `gateway run`, `gateway status`, `pair`.

``veille gateway status [--json]`` summarises the gateway's local state for the
person at the patient's home; exit status 0 healthy, 1 needs attention, 2 cannot tell.

``veille pair`` scans and lists nearby health devices by the services they
advertise; ``veille pair ADDRESS --patient P [--user N]`` records a pairing
(and bonds through BlueZ when ``--bond`` is given); ``--list`` and
``--remove ADDRESS`` show and forget pairings.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from pathlib import Path
from typing import Any

from veille import logs
from veille.errors import VeilleError


def _config(args: argparse.Namespace) -> Path | None:
    return Path(args.config) if getattr(args, "config", None) else None


def _overrides(args: argparse.Namespace) -> dict[str, object]:
    values: dict[str, object] = {}
    if getattr(args, "data_dir", None):
        values["data_dir"] = args.data_dir
    if getattr(args, "id", None):
        values["id"] = args.id
    return values


def _run(args: argparse.Namespace) -> int:
    from gateway.runner import run_gateway  # late: pulls in bleak and paho

    logs.configure(json=args.json_logs)
    try:
        from gateway.settings import load

        gateway, broker = load(_config(args), overrides=_overrides(args))
        asyncio.run(run_gateway(gateway, broker))
    except VeilleError as err:
        print(f"veille gateway run: {err}", file=sys.stderr)
        return 2
    return 0


def _status(args: argparse.Namespace) -> int:
    from gateway.settings import load
    from gateway.status import collect, render
    from gateway.status_broker import read_status  # late: pulls in paho

    try:
        gateway, broker = load(_config(args), overrides=_overrides(args))
        report = collect(gateway)
    except VeilleError as err:
        print(f"veille gateway status: {err}", file=sys.stderr)
        return 2
    if args.broker_timeout > 0:
        report.broker = read_status(broker, gateway.id, args.broker_timeout)
    print(json.dumps(report.as_json(), indent=2) if args.json else render(report))
    return 1 if report.problems() else 0


def _pair(args: argparse.Namespace) -> int:
    from gateway.pairing_cli import pair_command  # late: pulls in bleak

    logs.configure(json=False)
    try:
        from gateway.settings import load

        gateway, _broker = load(_config(args), overrides=_overrides(args))
        return pair_command(args, gateway)
    except VeilleError as err:
        print(f"veille pair: {err}", file=sys.stderr)
        return 2


def register(subparsers: argparse._SubParsersAction[Any]) -> None:
    gateway = subparsers.add_parser("gateway", help="BLE devices to MQTT, on the Pi")
    commands = gateway.add_subparsers(dest="gateway_command", metavar="SUBCOMMAND")
    run = commands.add_parser("run", help="scan, read paired devices, publish their readings")
    run.add_argument("--data-dir", type=Path, help="outbox and pairings (default [gateway])")
    run.add_argument("--id", help="this gateway's id (default [gateway] id)")
    run.add_argument("--json-logs", action="store_true", help="JSON log lines on stderr")
    run.set_defaults(handler=_run)
    status = commands.add_parser(
        "status", help="paired devices, outbox and broker at a glance (exit 1: needs attention)"
    )
    status.add_argument("--data-dir", type=Path, help="outbox and pairings (default [gateway])")
    status.add_argument("--json", action="store_true", help="one JSON object, for machines")
    status.add_argument(
        "--broker-timeout",
        type=float,
        default=3.0,
        metavar="SECONDS",
        help="wait this long for the broker's retained status (0: do not ask)",
    )
    status.set_defaults(handler=_status)

    pair = subparsers.add_parser("pair", help="list nearby health devices, pair one to a patient")
    pair.add_argument("address", nargs="?", help="the device to pair (from the scan list)")
    pair.add_argument("--patient", help="pseudonymous patient id the device's readings belong to")
    pair.add_argument("--user", type=int, help="user index on a multi-user scale or cuff")
    pair.add_argument(
        "--register",
        action="store_true",
        help="multi-user scale (User Data Service): register a new user slot for the patient",
    )
    pair.add_argument(
        "--consent-code",
        type=int,
        help="multi-user scale: adopt the existing slot --user with its consent code (0-9999)",
    )
    pair.add_argument("--driver", help="driver name (default: the one matching the device)")
    pair.add_argument("--bond", action="store_true", help="bond with BlueZ (PIN/passkey devices)")
    pair.add_argument("--pin", help="PIN or passkey the device shows or expects, for --bond")
    pair.add_argument("--scan-seconds", type=float, default=10.0, help="how long to scan")
    pair.add_argument("--list", action="store_true", help="show the pairings")
    pair.add_argument("--remove", metavar="ADDRESS", help="forget a device's pairings")
    pair.add_argument("--data-dir", type=Path, help="the gateway's data directory")
    pair.set_defaults(handler=_pair)
