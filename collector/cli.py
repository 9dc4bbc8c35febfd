"""Subcommands of `veille` that belong to `collector`: `collector run` and `export`."""

from __future__ import annotations

import argparse
import json
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from collector import pairing_cli
from collector.backends import open_store
from collector.store import StoreSettings, sqlite_path
from devices.reading import Kind
from veille import logs
from veille.config import load_section
from veille.errors import VeilleError


def _aware(text: str) -> datetime:
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError as err:
        raise argparse.ArgumentTypeError(f"{text!r} is not an ISO time") from err
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _config(args: argparse.Namespace) -> Path | None:
    return Path(args.config) if getattr(args, "config", None) else None


def _run(args: argparse.Namespace) -> int:
    from collector.service import load_settings, run  # late: pulls in paho

    logs.configure(json=args.json_logs)
    overrides: dict[str, Any] = {
        key: value
        for key, value in (("client_id", args.client_id), ("batch_size", args.batch_size))
        if value is not None
    }
    try:
        collector, broker, store, database = load_settings(_config(args), args.data_dir, overrides)
        run(collector, broker, store, database)
    except VeilleError as err:
        print(f"veille collector run: {err}", file=sys.stderr)
        return 2
    return 0


def _export(args: argparse.Namespace) -> int:
    """The patient's right to their data: every reading, as it arrived, JSON lines."""
    try:
        defaults = {"path": str(sqlite_path(args.data_dir))} if args.data_dir else {}
        settings = load_section(StoreSettings, "store", _config(args), defaults=defaults)
        if args.data_dir:
            settings = settings.model_copy(update={"backend": "sqlite"})
        if settings.backend == "sqlite" and not settings.path.exists():
            print(f"veille export: no store at {settings.path}", file=sys.stderr)
            return 2
        store = open_store(settings)
        try:
            patients = [args.patient] if args.patient else store.patients()
            out = sys.stdout
            for patient in patients:
                for reading in store.readings(patient, since=args.since, kind=args.kind):
                    out.write(json.dumps(reading.as_json(), ensure_ascii=False) + "\n")
            out.flush()
        finally:
            store.close()
    except VeilleError as err:
        print(f"veille export: {err}", file=sys.stderr)
        return 2
    return 0


def register(subparsers: argparse._SubParsersAction[Any]) -> None:
    collector = subparsers.add_parser("collector", help="MQTT readings into the store")
    commands = collector.add_subparsers(dest="collector_command", metavar="SUBCOMMAND")
    run = commands.add_parser("run", help="consume readings, store them, ack the gateways")
    run.add_argument("--data-dir", type=Path, help="use the SQLite store in DIR/readings.sqlite")
    run.add_argument("--client-id", help="this instance's fixed MQTT client id")
    run.add_argument("--batch-size", type=int, help="readings per store write")
    run.add_argument("--json-logs", action="store_true", help="JSON log lines on stderr")
    run.set_defaults(handler=_run)
    pairing_cli.register(commands)

    export = subparsers.add_parser("export", help="a patient's readings as JSON lines")
    export.add_argument("--patient", help="pseudonymous patient id (default: every patient)")
    export.add_argument("--since", type=_aware, help="ISO time: readings measured from then")
    export.add_argument("--kind", type=Kind, choices=list(Kind), help="one kind of reading")
    export.add_argument("--data-dir", type=Path, help="read DIR/readings.sqlite")
    export.set_defaults(handler=_export)
