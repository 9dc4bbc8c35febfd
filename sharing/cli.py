"""`veille sharing ...`: small admin commands over the sharing service.

For operators and the demo: create the tables, register people, share,
stop sharing, make an access code, read a patient's audit log. Output is
JSON, one object per line. Everything goes through the same service
functions the web uses, so the same rules and the same audit apply.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy.orm import Session

import sharing.models  # noqa: F401  (registers the tables on Base)
from sharing import identities
from sharing.audit import audit_for_patient
from sharing.codes import create_code
from sharing.daily import run_daily
from sharing.demo import seed_demo
from sharing.errors import InvalidRequest
from sharing.grants import create_grant, grants_for_patient, revoke_grant
from sharing.settings import SharingSettings
from sharing.terms import Role
from veille.config import load_section
from veille.db import DatabaseSettings, create_schema, make_engine, session_factory, upgrade
from veille.errors import NotAllowed, VeilleError


def _emit(obj: dict[str, Any]) -> None:
    print(json.dumps(obj, ensure_ascii=False, default=str))


def _config(args: argparse.Namespace) -> Path | None:
    return Path(args.config) if getattr(args, "config", None) else None


@contextmanager
def _session(args: argparse.Namespace) -> Iterator[Session]:
    engine = make_engine(load_section(DatabaseSettings, "database", _config(args)).url)
    try:
        if args.sharing_command == "init-db":
            create_schema(engine)
        elif args.sharing_command == "migrate":
            upgrade(engine)
        with session_factory(engine)() as session:
            yield session
    finally:
        engine.dispose()


def _now() -> datetime:
    return datetime.now(UTC)


def _init_db(session: Session, args: argparse.Namespace) -> None:
    _emit({"created": True})


def _migrated(session: Session, args: argparse.Namespace) -> None:
    _emit({"migrated": True})


def _demo_seed(session: Session, args: argparse.Namespace) -> None:
    world = seed_demo(session, args.patients, now=_now())
    session.commit()
    _emit(
        {
            "team": world.team_id,
            "nurse": world.nurse_id,
            "physician": world.physician_id,
            "patients": list(world.patient_ids),
        }
    )


def _patient_add(session: Session, args: argparse.Namespace) -> None:
    p = identities.add_patient(
        session, args.patient, now=_now(), label=args.label, time_zone=args.tz, language=args.lang
    )
    session.commit()
    _emit({"patient": p.id, "label": p.label, "time_zone": p.time_zone, "language": p.language})


def _team_add(session: Session, args: argparse.Namespace) -> None:
    team = identities.add_team(session, args.name, time_zone=args.tz)
    session.commit()
    _emit({"team": team.id, "name": team.name})


def _professional_add(session: Session, args: argparse.Namespace) -> None:
    pro = identities.add_professional(
        session, args.name, args.role, team_id=args.team, on_call_order=args.on_call
    )
    session.commit()
    _emit({"professional": pro.id, "name": pro.display_name, "role": pro.role})


def _enrol(session: Session, args: argparse.Namespace) -> None:
    identities.enrol(session, args.patient, args.team, now=_now())
    session.commit()
    _emit({"patient": args.patient, "team": args.team, "enrolled": True})


def _grant(session: Session, args: argparse.Namespace) -> None:
    now = _now()
    grant = create_grant(
        session,
        args.patient,
        team_id=args.team,
        professional_id=args.professional,
        kinds=args.kinds.split(","),
        alerts=args.alerts,
        ends_at=now + timedelta(days=args.days),
        now=now,
    )
    session.commit()
    _emit(
        {"grant": grant.id, "kinds": grant.kinds, "alerts": grant.alerts, "ends_at": grant.ends_at}
    )


def _revoke(session: Session, args: argparse.Namespace) -> None:
    grant = revoke_grant(session, args.grant, patient_id=args.patient, now=_now())
    session.commit()
    _emit({"grant": grant.id, "revoked_at": grant.revoked_at})


def _grants(session: Session, args: argparse.Namespace) -> None:
    for view in grants_for_patient(session, args.patient, now=_now()):
        _emit(
            {
                "grant": view.id,
                "recipient": f"{view.recipient_type.value}:{view.recipient_id}",
                "label": view.recipient_label,
                "kinds": sorted(view.kinds),
                "alerts": view.alerts,
                "ends_at": view.ends_at,
                "status": view.status,
            }
        )


def _code(session: Session, args: argparse.Namespace) -> None:
    policy = load_section(SharingSettings, "sharing", _config(args)).code_policy()
    made = create_code(
        session,
        args.patient,
        kinds=args.kinds.split(","),
        now=_now(),
        ttl=timedelta(hours=args.hours) if args.hours else None,
        max_uses=args.uses,
        label=args.label,
        downloads=args.downloads,
        policy=policy,
    )
    session.commit()
    _emit(
        {
            "code": made.code,
            "expires_at": made.expires_at,
            "max_uses": made.max_uses,
            "downloads": made.downloads,
        }
    )


def _daily(session: Session, args: argparse.Namespace) -> None:
    done = run_daily(session, _now())
    _emit({"reminders": done.reminders, "attempts_purged": done.attempts_purged})


def _audit(session: Session, args: argparse.Namespace) -> None:
    for line in audit_for_patient(session, args.patient, lang=args.lang, time_zone=args.tz):
        _emit({"at": line.at, "event": line.event, "result": line.result, "text": line.text})


Command = Callable[[Session, argparse.Namespace], None]


def _run(command: Command) -> Callable[[argparse.Namespace], int]:
    def handler(args: argparse.Namespace) -> int:
        try:
            with _session(args) as session:
                command(session, args)
        except (InvalidRequest, NotAllowed) as exc:
            print(f"veille sharing: {exc}", file=sys.stderr)
            return 2
        except VeilleError as exc:
            print(f"veille sharing: {exc}", file=sys.stderr)
            return 1
        return 0

    return handler


def register(subparsers: argparse._SubParsersAction[Any]) -> None:
    """``veille sharing`` with its admin subcommands."""
    parser = subparsers.add_parser("sharing", help="patients, teams, grants, codes, audit log")
    sub = parser.add_subparsers(dest="sharing_command", metavar="SUBCOMMAND", required=True)

    def add(name: str, command: Command, help_text: str) -> argparse.ArgumentParser:
        p: argparse.ArgumentParser = sub.add_parser(name, help=help_text)
        p.set_defaults(handler=_run(command))
        return p

    add("init-db", _init_db, "create the relational tables (demo, tests; servers use migrate)")
    add("migrate", _migrated, "bring a server database to the latest revisions (Alembic)")
    p = add("demo-seed", _demo_seed, "a demo care team and these patients, with varied sharing")
    p.add_argument("patients", nargs="+")
    p = add("patient-add", _patient_add, "register a patient (a new pseudonymous id if none)")
    p.add_argument("patient", nargs="?", help="an existing id; default: a new 100-bit one")
    p.add_argument("--label", help="what the care team calls the patient (server only)")
    p.add_argument("--tz", default="Europe/Paris")
    p.add_argument("--lang", choices=["fr", "en"], default="fr")
    p = add("team-add", _team_add, "create a care team")
    p.add_argument("name")
    p.add_argument("--tz", default="Europe/Paris")
    p = add("professional-add", _professional_add, "add a nurse, physician or team admin")
    p.add_argument("name")
    p.add_argument("--role", choices=[r.value for r in Role], required=True)
    p.add_argument("--team", type=int)
    p.add_argument("--on-call", type=int, help="escalation order in the team (1 first)")
    p = add("enrol", _enrol, "a care team follows a patient (shares nothing by itself)")
    p.add_argument("patient")
    p.add_argument("team", type=int)
    p = add("grant", _grant, "share kinds of a patient's data with a team or a professional")
    p.add_argument("patient")
    who = p.add_mutually_exclusive_group(required=True)
    who.add_argument("--team", type=int)
    who.add_argument("--professional", type=int)
    p.add_argument("--kinds", required=True, help="comma-separated: weight,blood_pressure,...")
    p.add_argument("--alerts", action="store_true", help="alerts on these kinds go to them")
    p.add_argument("--days", type=float, required=True, help="how long (at most 366)")
    p = add("revoke", _revoke, "stop a grant now")
    p.add_argument("patient")
    p.add_argument("grant", type=int)
    p = add("grants", _grants, "list a patient's grants")
    p.add_argument("patient")
    p = add("code", _code, "make a temporary access code (printed once)")
    p.add_argument("patient")
    p.add_argument("--kinds", required=True)
    p.add_argument("--hours", type=float)
    p.add_argument("--uses", type=int)
    p.add_argument("--label")
    p.add_argument(
        "--downloads", action="store_true", help="its holder may also download (CSV, FHIR)"
    )
    add("daily", _daily, "daily job: remind patients of grants ending soon, purge old attempts")
    p = add("audit", _audit, "a patient's audit log, as the patient reads it")
    p.add_argument("patient")
    p.add_argument("--lang", choices=["fr", "en"], default="fr")
    p.add_argument("--tz", default="Europe/Paris")
