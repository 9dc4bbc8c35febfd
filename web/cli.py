"""`veille web`: serve the web app (uvicorn); `veille web add-account`: a sign-in for someone.

Settings come from the ``[web]`` section (``VEILLE_WEB__...`` overrides);
the secret key from ``secret_key_file`` or ``VEILLE_WEB__SECRET_KEY``.
"""

from __future__ import annotations

import argparse
import getpass
import json
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from veille.config import load_section
from veille.errors import VeilleError


def _settings(args: argparse.Namespace) -> Any:
    from web.settings import WebSettings

    path = Path(args.config) if getattr(args, "config", None) else None
    return load_section(WebSettings, "web", path)


def _serve(args: argparse.Namespace) -> int:
    """One process, or ``--workers N`` processes each building the app from the config."""
    import os

    import uvicorn

    from veille.gcpolicy import settle_after_startup
    from web.app import create_app

    try:
        settings = _settings(args)
        app = create_app(settings)  # also checks the settings before workers start
    except VeilleError as exc:
        print(f"veille web: {exc}", file=sys.stderr)
        return 2
    host, port = args.host or settings.host, args.port or settings.port
    if args.workers > 1:
        if getattr(args, "config", None):
            os.environ["VEILLE_CONFIG"] = str(Path(args.config).resolve())
        uvicorn.run(
            "web.app:from_environment",
            factory=True,
            workers=args.workers,
            host=host,
            port=port,
            proxy_headers=False,  # the app believes only [web] trusted_proxies (web.app)
            log_level="warning",
            access_log=False,
        )
        return 0
    settle_after_startup()
    uvicorn.run(
        app, host=host, port=port, proxy_headers=False, log_level="warning", access_log=False
    )
    return 0


def _add_account(args: argparse.Namespace) -> int:
    from veille.db import create_schema, import_models, make_engine, session_factory
    from web.accounts import create_account

    try:
        settings = _settings(args)
        engine = make_engine(settings.db_url())
        import_models()
        create_schema(engine)
        password = args.password_file.read_text().strip() if args.password_file else None
        password = password or getpass.getpass("password (10 characters or more): ")
        with session_factory(engine)() as session:
            account = create_account(
                session,
                args.username,
                password,
                now=datetime.now(UTC),
                professional_id=args.professional,
                patient_id=args.patient,
            )
            session.commit()
            print(
                json.dumps(
                    {"account": account.id, "username": account.username, "role": account.role}
                )
            )
    except (VeilleError, OSError) as exc:
        print(f"veille web add-account: {exc}", file=sys.stderr)
        return 2
    return 0


def register(subparsers: argparse._SubParsersAction[Any]) -> None:
    web = subparsers.add_parser("web", help="serve the care team's and patients' web app")
    web.add_argument("--host", help="listen address (default [web] host)")
    web.add_argument("--port", type=int, help="port (default [web] port)")
    web.add_argument("--workers", type=int, default=1, help="server processes (default 1)")
    web.set_defaults(handler=_serve)
    sub = web.add_subparsers(dest="web_command", metavar="COMMAND")
    add = sub.add_parser("add-account", help="create a sign-in for a professional or a patient")
    add.add_argument("username")
    who = add.add_mutually_exclusive_group(required=True)
    who.add_argument("--professional", type=int, metavar="ID", help="sharing professional id")
    who.add_argument("--patient", metavar="ID", help="pseudonymous patient id")
    add.add_argument("--password-file", type=Path, help="read the password from this file")
    add.set_defaults(handler=_add_account)
