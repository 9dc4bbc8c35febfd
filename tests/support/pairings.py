"""Telling a test's collector which patients a gateway serves, as a home's set-up does.

The collector admits a reading only when a live `collector.models.GatewayPairing`
says the gateway serves the patient (issue 17). Tests that run a real
`veille collector run --data-dir DIR` record the pairings first, through
`collector.pairings.pair` on ``DIR/veille.db`` — the code path the demo's
seed (`demo.seed`) and `veille collector pair` use.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime
from pathlib import Path

from collector.pairings import pair
from veille.db import create_schema, import_models, make_engine, session_factory, transaction


def pair_gateway(data_dir: Path, gateway: str, patients: Iterable[str]) -> None:
    """``gateway`` serves each of ``patients`` (any device) for the collector at ``data_dir``."""
    data_dir.mkdir(parents=True, exist_ok=True)
    import_models()
    engine = make_engine(f"sqlite:///{data_dir / 'veille.db'}")
    try:
        create_schema(engine)
        with transaction(session_factory(engine)) as session:
            for patient in patients:
                pair(session, gateway, patient, now=datetime.now(UTC))
    finally:
        engine.dispose()
