"""The collector's admission for tests: a real pairings database (SQLite) in ``tmp_path``."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta
from pathlib import Path

from collector.admission import Admission
from collector.authority import DbAuthority
from collector.pairings import pair
from collector.plausibility import PlausibilitySettings
from tests.collector.factory import T0
from veille.db import create_schema, import_models, make_engine, session_factory, transaction

#: Before every reading the factory builds (they start at T0).
PAIRED_AT = T0 - timedelta(days=1)


def database_url(folder: Path) -> str:
    """The relational database of a data directory (created if missing)."""
    folder.mkdir(parents=True, exist_ok=True)
    return f"sqlite:///{folder / 'veille.db'}"


def pair_all(
    url: str,
    gateways: Iterable[str],
    patients: Iterable[str],
    *,
    paired_at: datetime = PAIRED_AT,
    device: str | None = None,
) -> None:
    """Every gateway serves every patient (what a household's setup would record)."""
    import_models()
    engine = make_engine(url)
    create_schema(engine)
    patients = list(patients)
    with transaction(session_factory(engine)) as session:
        for gateway in gateways:
            for patient in patients:
                pair(session, gateway, patient, now=paired_at, device=device)
    engine.dispose()


def admission(
    folder: Path,
    gateways: Iterable[str] = ("gw-01",),
    patients: Iterable[str] = ("p-0001",),
    *,
    settings: PlausibilitySettings | None = None,
) -> Admission:
    """An admission whose pairings let ``gateways`` send readings of ``patients``."""
    url = database_url(folder)
    pair_all(url, gateways, patients)
    return Admission(DbAuthority(session_factory(make_engine(url))), settings)
