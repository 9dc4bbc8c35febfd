"""``veille fleet run``: keep the fleet tables current from the broker's statuses."""

from __future__ import annotations

import argparse
import signal
import sys
import threading
from pathlib import Path
from typing import Any

from veille import logs
from veille.config import load_section
from veille.errors import VeilleError


def _run(args: argparse.Namespace) -> int:
    from fleet.consumer import FleetConsumer  # late: pulls in paho and SQLAlchemy
    from veille.clock import SystemClock
    from veille.db import (
        DatabaseSettings,
        create_schema,
        import_models,
        make_engine,
        session_factory,
    )
    from veille.mqtt import BrokerSettings

    logs.configure(json=args.json_logs)
    config = Path(args.config) if getattr(args, "config", None) else None
    try:
        broker = load_section(BrokerSettings, "broker", config)
        database = load_section(DatabaseSettings, "database", config)
        import_models()
        engine = make_engine(database.url)
        create_schema(engine)  # SQLite and the demo; a server runs `veille sharing migrate`
        consumer = FleetConsumer(broker, session_factory(engine), SystemClock())
    except VeilleError as err:
        print(f"veille fleet run: {err}", file=sys.stderr)
        return 2
    stop = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_a: stop.set())
    consumer.start()
    try:
        consumer.run(stop)
    finally:
        consumer.close()
    return 0


def register(subparsers: argparse._SubParsersAction[Any]) -> None:
    fleet = subparsers.add_parser("fleet", help="gateways' health from the broker")
    commands = fleet.add_subparsers(dest="fleet_command", required=True)
    run = commands.add_parser("run", help="store every gateway's status and heartbeat")
    run.add_argument("--json-logs", action="store_true", help="one JSON object per line")
    run.set_defaults(handler=_run)
