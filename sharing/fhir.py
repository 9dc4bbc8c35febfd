"""Grants as FHIR R4 ``Consent`` and audit rows as ``AuditEvent``, as plain JSON dicts.

For exchange with a hospital's systems and for the patient's own export:
a grant says who may see which measurements from when to when; an audit row
says who did what and whether it was allowed. Patients and recipients are
referenced by identifier (our pseudonymous ids), never by name.

Choices: ``provision.code`` carries the kind in Veille's own code system and,
where one exists, its LOINC code; alerts on a grant add the ``disclose``
action to ``access``; break-glass reads carry purpose of use ``BTG``.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from devices.reading import Kind
from sharing.models import AuditEntry, Grant
from sharing.terms import ActorType, Result, Via

KIND_SYSTEM = "urn:veille:kind"
PATIENT_SYSTEM = "urn:veille:patient"
TEAM_SYSTEM = "urn:veille:care-team"
PROFESSIONAL_SYSTEM = "urn:veille:professional"
LOINC = "http://loinc.org"

#: The LOINC code of the panel or observation each kind exports as (none: Veille's code only).
LOINC_BY_KIND: Mapping[Kind, str] = {
    Kind.WEIGHT: "29463-7",
    Kind.BODY_COMPOSITION: "41982-0",
    Kind.BLOOD_PRESSURE: "85354-9",
    Kind.GLUCOSE: "14743-9",
    Kind.SPO2: "59408-5",
    Kind.SPO2_CONTINUOUS: "59408-5",
    Kind.TEMPERATURE: "8310-5",
}


def _instant(moment: datetime) -> str:
    return moment.isoformat(timespec="seconds")


def _coding(system: str, code: str, display: str | None = None) -> dict[str, str]:
    coding = {"system": system, "code": code}
    if display:
        coding["display"] = display
    return coding


def _kind_concept(kind: Kind) -> dict[str, Any]:
    codings = [_coding(KIND_SYSTEM, kind.value)]
    if kind in LOINC_BY_KIND:
        codings.append(_coding(LOINC, LOINC_BY_KIND[kind]))
    return {"coding": codings}


def _patient(patient_id: str) -> dict[str, Any]:
    return {"identifier": {"system": PATIENT_SYSTEM, "value": patient_id}}


def grant_consent(
    grant: Grant, now: datetime, recipient_label: str | None = None
) -> dict[str, Any]:
    """The grant as an R4 ``Consent`` (``inactive`` once revoked or ended at ``now``)."""
    who: dict[str, Any]
    if grant.team_id is not None:
        who = {"identifier": {"system": TEAM_SYSTEM, "value": str(grant.team_id)}}
    else:
        who = {"identifier": {"system": PROFESSIONAL_SYSTEM, "value": str(grant.professional_id)}}
    if recipient_label:
        who["display"] = recipient_label
    actions = [
        {"coding": [_coding("http://terminology.hl7.org/CodeSystem/consentaction", "access")]}
    ]
    if grant.alerts:
        actions.append(
            {"coding": [_coding("http://terminology.hl7.org/CodeSystem/consentaction", "disclose")]}
        )
    return {
        "resourceType": "Consent",
        "id": f"grant-{grant.id}",
        "identifier": [{"system": "urn:veille:grant", "value": str(grant.id)}],
        "status": "active" if grant.active(now) else "inactive",
        "scope": {
            "coding": [
                _coding("http://terminology.hl7.org/CodeSystem/consentscope", "patient-privacy")
            ]
        },
        "category": [{"coding": [_coding(LOINC, "59284-0", "Patient Consent")]}],
        "patient": _patient(grant.patient_id),
        "dateTime": _instant(grant.created_at),
        "policyRule": {
            "coding": [_coding("http://terminology.hl7.org/CodeSystem/v3-ActCode", "OPTIN")]
        },
        "provision": {
            "type": "permit",
            "period": {
                "start": _instant(grant.starts_at),
                "end": _instant(min(grant.ends_at, grant.revoked_at or grant.ends_at)),
            },
            "actor": [
                {
                    "role": {
                        "coding": [
                            _coding(
                                "http://terminology.hl7.org/CodeSystem/v3-ParticipationType",
                                "IRCP",
                                "information recipient",
                            )
                        ]
                    },
                    "reference": who,
                }
            ],
            "action": actions,
            "class": [_coding("http://hl7.org/fhir/resource-types", "Observation")],
            "code": [_kind_concept(kind) for kind in sorted(grant.kind_set())],
        },
    }


def _agent(entry: AuditEntry) -> dict[str, Any]:
    systems = {
        ActorType.PROFESSIONAL.value: PROFESSIONAL_SYSTEM,
        ActorType.CARE_TEAM.value: TEAM_SYSTEM,
        ActorType.PATIENT.value: PATIENT_SYSTEM,
        ActorType.CODE.value: "urn:veille:access-code",
    }
    who: dict[str, Any] = {"display": entry.actor_label or entry.actor_type}
    if entry.actor_id and entry.actor_type in systems and entry.actor_type != ActorType.PATIENT:
        who["identifier"] = {"system": systems[entry.actor_type], "value": entry.actor_id}
    return {"who": who, "requestor": True}


def audit_event(entry: AuditEntry) -> dict[str, Any]:
    """One audit row as an R4 ``AuditEvent`` (outcome 0 allowed, 4 refused)."""
    purpose = "BTG" if entry.via == Via.BREAK_GLASS.value else "TREAT"
    event: dict[str, Any] = {
        "resourceType": "AuditEvent",
        "id": f"audit-{entry.id}",
        "type": _coding("http://dicom.nema.org/resources/ontology/DCM", "110110", "Patient Record"),
        "subtype": [_coding("urn:veille:audit-event", entry.event)],
        "action": "R" if entry.event == "access" else "U",
        "recorded": _instant(entry.at),
        "outcome": "0" if entry.result == Result.ALLOWED.value else "4",
        "purposeOfEvent": [
            {"coding": [_coding("http://terminology.hl7.org/CodeSystem/v3-ActReason", purpose)]}
        ],
        "agent": [_agent(entry)],
        "source": {"observer": {"display": "Veille"}},
        "entity": [{"what": _patient(entry.patient_id)}],
    }
    if entry.reason:
        event["outcomeDesc"] = entry.reason
    if entry.kind:
        event["entity"].extend(
            {"what": {"display": kind}, "type": _coding(KIND_SYSTEM, kind)}
            for kind in entry.kind.split(",")
        )
    return event
