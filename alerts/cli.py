"""Subcommands of `veille` that belong to `alerts`: replay, run, rules."""

from __future__ import annotations

import argparse
import json
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from alerts.engine import Engine
from alerts.replay import print_opened, read_lines, replay
from alerts.ruleset import load_rules
from alerts.store import TomlTargets
from veille.errors import ConfigError


def _aware(text: str) -> datetime:
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError as err:
        raise argparse.ArgumentTypeError(f"{text!r} is not an ISO time") from err
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _replay(args: argparse.Namespace) -> int:
    try:
        rules = load_rules(args.rules)
        targets = TomlTargets.load(args.targets, rules) if args.targets else None
    except ConfigError as err:
        print(f"veille alerts replay: {err}", file=sys.stderr)
        return 2
    try:
        with Path(args.readings).open(encoding="utf-8") as handle:
            readings, bad = read_lines(handle)
    except OSError as err:
        print(f"veille alerts replay: cannot read {args.readings}: {err.strerror}", file=sys.stderr)
        return 2
    for line in bad:
        print(f"{args.readings}:{line.number}: skipped: {line.reason}", file=sys.stderr)
    engine = Engine(rules, targets=targets)
    print_opened(replay(engine, readings, args.until), sys.stdout)
    sys.stdout.flush()
    return 2 if bad and args.strict else 0


def _rules(args: argparse.Namespace) -> int:
    try:
        rules = load_rules(args.rules)
    except ConfigError as err:
        print(f"veille alerts rules: {err}", file=sys.stderr)
        return 2
    print(json.dumps({"version": rules.version, "time_zone": rules.time_zone}))
    for rule in rules.rules:
        print(json.dumps(rule.model_dump(mode="json"), ensure_ascii=False))
    return 0


def _target(args: argparse.Namespace) -> int:
    """Set, clear or show a patient's targets in the database (each change a new version)."""
    from alerts.sqlstore import DbTargets
    from veille.db import create_schema, make_engine, session_factory

    try:
        rules = load_rules(args.rules)
        db = make_engine(args.database)
        create_schema(db)
        targets = DbTargets(session_factory(db), rules)
        if args.rule is not None:
            params = None if args.clear else json.loads(args.params or "{}")
            if not args.clear and not params:
                print("veille alerts target: give --params JSON or --clear", file=sys.stderr)
                return 2
            version = targets.set(
                args.patient,
                args.rule,
                params,
                by=args.by,
                reason=args.reason,
                now=datetime.now(UTC),
            )
            print(json.dumps({"patient": args.patient, "rule": args.rule, "version": version}))
        print(json.dumps({"patient": args.patient, "targets": targets.for_patient(args.patient)}))
        db.dispose()
    except (ConfigError, json.JSONDecodeError) as err:
        print(f"veille alerts target: {err}", file=sys.stderr)
        return 2
    return 0


def _run(args: argparse.Namespace) -> int:
    from alerts.worker import main  # imported late: it pulls in MQTT and the database

    code: int = main(args)
    return code


def register(subparsers: argparse._SubParsersAction[Any]) -> None:
    alerts = subparsers.add_parser("alerts", help="rules engine: replay, run, rules")
    commands = alerts.add_subparsers(dest="alerts_command", metavar="SUBCOMMAND")

    rep = commands.add_parser(
        "replay", help="run the rules over recorded readings on a virtual clock"
    )
    rep.add_argument("readings", help="JSON lines, one veille.reading/1 object each")
    rep.add_argument("--until", type=_aware, required=True, help="ISO time to run the clock to")
    rep.add_argument("--rules", type=Path, help="rule set TOML (default: the shipped one)")
    rep.add_argument("--targets", type=Path, help="per-patient targets TOML")
    rep.add_argument("--strict", action="store_true", help="exit 2 if a line was skipped")
    rep.set_defaults(handler=_replay)

    show = commands.add_parser("rules", help="print the rule set as JSON lines")
    show.add_argument("--rules", type=Path, help="rule set TOML (default: the shipped one)")
    show.set_defaults(handler=_rules)

    target = commands.add_parser(
        "target", help="a patient's targets: show, or set one rule's parameters (versioned)"
    )
    target.add_argument("patient")
    target.add_argument("rule", nargs="?", help="rule name (see `veille alerts rules`)")
    target.add_argument("--params", help='JSON, e.g. \'{"limits": {"glucose_mmol_l": 4.4}}\'')
    target.add_argument("--clear", action="store_true", help="back to the rule's defaults")
    target.add_argument("--by", default="cli", help="who sets it (kept with the version)")
    target.add_argument("--reason", default="", help="why (kept with the version)")
    target.add_argument("--database", required=True, help="SQLAlchemy URL")
    target.add_argument("--rules", type=Path, help="rule set TOML (default: the shipped one)")
    target.set_defaults(handler=_target)

    run = commands.add_parser("run", help="consume readings from MQTT and raise alerts")
    run.add_argument("--rules", type=Path, help="rule set TOML (default: the shipped one)")
    run.add_argument("--database", help="SQLAlchemy URL of the relational database")
    run.add_argument("--group", default="rules", help="shared-subscription group")
    run.set_defaults(handler=_run)
