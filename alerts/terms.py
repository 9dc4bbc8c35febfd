"""The closed vocabularies of alerts: categories, severities, states, transitions.

`Category` values are the replay contract of issue 5 (``veille alerts
replay``): they are printed as they are and must not be renamed.
"""

from __future__ import annotations

from enum import StrEnum


class Category(StrEnum):
    SEVERE_HYPOGLYCEMIA = "severe_hypoglycemia"
    HYPOGLYCEMIA = "hypoglycemia"
    HYPERGLYCEMIA = "hyperglycemia"
    HYPERTENSIVE_CRISIS = "hypertensive_crisis"
    HYPERTENSION = "hypertension"
    HYPOTENSION = "hypotension"
    TACHYCARDIA = "tachycardia"
    BRADYCARDIA = "bradycardia"
    WEIGHT_GAIN = "weight_gain"
    WEIGHT_LOSS = "weight_loss"
    LOW_SPO2 = "low_spo2"
    FEVER = "fever"
    HYPOTHERMIA = "hypothermia"
    MISSING_DATA = "missing_data"
    DEVICE_PROBLEM = "device_problem"

    @property
    def clinical(self) -> bool:
        """Device problems go to the patient, never to the clinician as a clinical event."""
        return self is not Category.DEVICE_PROBLEM


class Severity(StrEnum):
    INFO = "info"
    WARNING = "warning"
    URGENT = "urgent"

    @property
    def rank(self) -> int:
        return _SEVERITY_RANK[self]


_SEVERITY_RANK = {Severity.INFO: 0, Severity.WARNING: 1, Severity.URGENT: 2}


class Status(StrEnum):
    OPEN = "open"
    ACKNOWLEDGED = "acknowledged"
    RESOLVED = "resolved"


class Change(StrEnum):
    """What happened to an alert; the notifier decides who hears of which."""

    OPENED = "opened"  # a new alert (the only change `replay` prints)
    REOPENED = "reopened"  # the same condition came back soon after its all clear
    ESCALATED = "escalated"  # the severity rose
    RAISED_AGAIN = "raised_again"  # acknowledged, then got worse by a step
    UPDATED = "updated"  # a new value for a condition already known: silent
    RESOLVED = "resolved"  # the condition cleared: "all clear"
    SUPERSEDED = "superseded"  # a graver alert of the same family took over
    ACKNOWLEDGED = "acknowledged"
    SNOOZED = "snoozed"
    ESCALATED_ON_CALL = "escalated_on_call"  # nobody acknowledged an urgent alert in time
    REVIEWED = "reviewed"  # a professional reviewed it, with a note (open or closed)

    @property
    def notifies(self) -> bool:
        return self in _NOTIFYING


_NOTIFYING = frozenset(
    {Change.OPENED, Change.REOPENED, Change.ESCALATED, Change.RAISED_AGAIN, Change.RESOLVED}
)

#: Families of categories about one physiological direction, gravest first. While a
#: graver alert of a family is open (or closed recently), a milder one is not opened:
#: a crisis already says more than "your home average is high".
FAMILIES: tuple[tuple[Category, ...], ...] = (
    (Category.SEVERE_HYPOGLYCEMIA, Category.HYPOGLYCEMIA),
    (Category.HYPERTENSIVE_CRISIS, Category.HYPERTENSION),
)


def graver_than(category: Category) -> tuple[Category, ...]:
    """The categories of the same family that outrank ``category``."""
    for family in FAMILIES:
        if category in family:
            return family[: family.index(category)]
    return ()


def milder_than(category: Category) -> tuple[Category, ...]:
    for family in FAMILIES:
        if category in family:
            return family[family.index(category) + 1 :]
    return ()
