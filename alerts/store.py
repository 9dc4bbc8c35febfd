"""Where alert state lives: the `AlertStore` seam, and an in-memory store.

The engine is stateless apart from its stores: it loads a patient's alerts,
applies what the rules concluded, and saves the changes. `MemoryAlertStore`
serves replays, benchmarks and tests; `alerts.sqlstore.SqlAlertStore` is the
relational one a worker and the web share. `ReadingLog` is what lets several
workers judge confirmations as one (`alerts.sqlstore.SqlReadingLog`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any, Protocol

from alerts.lifecycle import PatientAlerts, Transition
from alerts.ruleset import RuleSet
from devices.reading import Kind
from veille.config import read_file
from veille.errors import ConfigError, StoreError


class AlertConflict(StoreError):
    """Another worker changed the patient's alerts since they were loaded: load again."""


class AlertStore(Protocol):
    def load(self, patient: str, now: datetime) -> PatientAlerts:
        """The patient's open alerts and the last resolved one of each condition."""
        ...

    def save(self, patient: str, alerts: PatientAlerts, changes: Sequence[Transition]) -> None:
        """Persist ``changes`` (already applied to ``alerts``); `AlertConflict` when
        another worker opened the same condition first."""
        ...


class MemoryAlertStore:
    """Alert state in a dict; keeps every transition for inspection."""

    def __init__(self) -> None:
        self._patients: dict[str, PatientAlerts] = {}
        self.transitions: list[Transition] = []

    def load(self, patient: str, now: datetime) -> PatientAlerts:
        alerts = self._patients.get(patient)
        if alerts is None:
            alerts = self._patients[patient] = PatientAlerts(patient)
        return alerts

    def save(self, patient: str, alerts: PatientAlerts, changes: Sequence[Transition]) -> None:
        self._patients[patient] = alerts
        self.transitions.extend(changes)


@dataclass(frozen=True, slots=True)
class Evaluated:
    """A reading some worker evaluated: its id, measurement time (epoch s) and values."""

    reading_id: str
    measured_at: float
    metrics: Mapping[str, float | None]


#: (patient, kind, reading) as `ReadingLog.record_many` takes them.
Shared = tuple[str, Kind, Evaluated]


class ReadingLog(Protocol):
    """Readings every worker evaluated, shared at once (see `alerts.engine`)."""

    def record(
        self,
        patient: str,
        kind: Kind,
        reading: Evaluated,
        now: datetime,
    ) -> None:
        """Keep ``reading`` for the others (a second record of the same id is a no-op)."""
        ...

    def record_many(self, entries: Sequence[Shared], now: datetime) -> None:
        """`record` for several readings at once (one commit: the worker's batches)."""
        ...

    def between(self, patient: str, kind: Kind, start: float, end: float) -> list[Evaluated]:
        """The patient's recorded readings of ``kind`` measured in [start, end]."""
        ...

    def prune(self, before: datetime) -> None:
        """Forget readings recorded before ``before``."""
        ...


class Targets(Protocol):
    def for_patient(self, patient: str) -> Mapping[str, Mapping[str, Any]]:
        """Rule name -> parameters the care team set for this patient."""
        ...


class NoTargets:
    def for_patient(self, patient: str) -> Mapping[str, Mapping[str, Any]]:
        return {}


class TomlTargets:
    """Per-patient targets from a versioned TOML file::

        version = "team-a-2026-11"
        [patients."p-7f3a".glucose_level1_hypo]
        limits = { glucose_mmol_l = 4.4 }
        [patients."p-7f3a".bp_home_average]
        enabled = false

    Every override is checked against the rule set when loaded, so a typo
    fails at start-up, not at 3 a.m.
    """

    def __init__(self, data: Mapping[str, Any], rules: RuleSet, origin: str = "<targets>") -> None:
        self.version = str(data.get("version", ""))
        if not self.version:
            raise ConfigError(f"targets {origin}: a version string is required")
        patients = data.get("patients", {})
        if not isinstance(patients, Mapping):
            raise ConfigError(f"targets {origin}: [patients] must be a table")
        self._by_patient: dict[str, dict[str, dict[str, Any]]] = {}
        for patient, overrides in patients.items():
            rules.with_targets(overrides)  # raises ConfigError naming the bad key
            self._by_patient[str(patient)] = dict(overrides)

    @classmethod
    def load(cls, path: Path, rules: RuleSet) -> TomlTargets:
        return cls(read_file(path), rules, str(path))

    def for_patient(self, patient: str) -> Mapping[str, Mapping[str, Any]]:
        return self._by_patient.get(patient, {})
