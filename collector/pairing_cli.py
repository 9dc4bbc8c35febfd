"""`veille collector pair|unpair|pairings|refusals`: the server's record of each home.

Run when a home is set up (before its first reading: until then the
collector refuses the gateway's readings, and the gateway sets them aside).
Output is JSON, one object per line. The database is ``[database] url``, or
``DIR/veille.db`` with ``--data-dir`` (the layout of `veille collector run`).
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy.orm import Session

from collector import pairings
from veille.config import load_section
from veille.db import (
    DatabaseSettings,
    create_schema,
    import_models,
    make_engine,
    session_factory,
    transaction,
)
from veille.errors import VeilleError

Command = Callable[[Session, argparse.Namespace, datetime], None]


def _emit(obj: dict[str, Any]) -> None:
    print(json.dumps(obj, ensure_ascii=False, default=str))


def _pair(session: Session, args: argparse.Namespace, now: datetime) -> None:
    row = pairings.pair(session, args.gateway, args.patient, now=now, device=args.device)
    _emit(
        {
            "gateway": row.gateway_id,
            "patient": row.patient_id,
            "device": row.device_address,
            "paired_at": row.paired_at,
        }
    )


def _unpair(session: Session, args: argparse.Namespace, now: datetime) -> None:
    ended = pairings.unpair(session, args.gateway, args.patient, now=now)
    _emit({"gateway": args.gateway, "patient": args.patient, "ended": ended})


def _list(session: Session, args: argparse.Namespace, now: datetime) -> None:
    for row in pairings.live_pairings(session, args.gateway):
        _emit(
            {
                "gateway": row.gateway_id,
                "patient": row.patient_id,
                "device": row.device_address,
                "paired_at": row.paired_at,
            }
        )


def _refusals(session: Session, args: argparse.Namespace, now: datetime) -> None:
    for row in pairings.refusals(session):
        _emit(
            {
                "gateway": row.gateway_id,
                "category": row.category,
                "count": row.count,
                "first_at": row.first_at,
                "last_at": row.last_at,
                "last_reason": row.last_reason,
            }
        )


def _run(command: Command) -> Callable[[argparse.Namespace], int]:
    def handler(args: argparse.Namespace) -> int:
        config = Path(args.config) if getattr(args, "config", None) else None
        defaults = {"url": f"sqlite:///{args.data_dir / 'veille.db'}"} if args.data_dir else {}
        try:
            if args.data_dir:
                args.data_dir.mkdir(parents=True, exist_ok=True)
            url = load_section(DatabaseSettings, "database", config, defaults=defaults).url
            import_models()
            engine = make_engine(url)
            try:
                create_schema(engine)
                with transaction(session_factory(engine)) as session:
                    command(session, args, datetime.now(UTC))
            finally:
                engine.dispose()
        except VeilleError as err:
            print(f"veille collector: {err}", file=sys.stderr)
            return 2
        return 0

    return handler


def register(commands: argparse._SubParsersAction[Any]) -> None:
    """The pairing subcommands under ``veille collector``."""

    def add(name: str, command: Command, text: str) -> argparse.ArgumentParser:
        parser: argparse.ArgumentParser = commands.add_parser(name, help=text)
        parser.add_argument("--data-dir", type=Path, help="use DIR/veille.db")
        parser.set_defaults(handler=_run(command))
        return parser

    p = add("pair", _pair, "this gateway serves this patient (the collector refuses others)")
    p.add_argument("gateway")
    p.add_argument("patient")
    p.add_argument("--device", help="only readings of this Bluetooth address")
    p = add("unpair", _unpair, "the gateway no longer serves the patient")
    p.add_argument("gateway")
    p.add_argument("patient")
    p = add("pairings", _list, "which patients each gateway serves")
    p.add_argument("--gateway")
    add("refusals", _refusals, "readings refused per gateway and why (for the technical contact)")
