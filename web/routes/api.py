"""The JSON API under ``/api/v1`` and FHIR R4 Observation search; same sharing rules as pages."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Annotated

import pandas as pd
from fastapi import APIRouter, Depends, HTTPException, Query, Request
from fastapi.responses import JSONResponse

from alerts.lifecycle import AlertRecord
from alerts.sqlstore import SqlAlertStore
from devices.reading import Kind
from sharing.access import visible_kinds
from sharing.audit import audit_for_patient
from sharing.capability import Capability
from sharing.grants import grants_for_patient
from sharing.models import Patient
from sharing.terms import Purpose
from veille.errors import StoreError
from web import alert_actions
from web.deps import (
    AccessorDep,
    AlertAccessDep,
    CsrfChecked,
    CurrentUser,
    FhirCap,
    KindViewCap,
    LangDep,
    NowDep,
    PatientUser,
    SelfCap,
    ServicesDep,
    SessionDep,
    TeamCaps,
    ViewCap,
    authorize_purpose,
)
from web.deps import Professional as ProfessionalDep
from web.fhir import bundle, codes_of, observations
from web.fhir_search import SearchError, Window, parse_code, parse_dates
from web.schemas import (
    AccountOut,
    AcknowledgeIn,
    AlertOut,
    AuditLineOut,
    Bundle,
    GrantOut,
    KindLatest,
    Problem,
    ReadingOut,
    TriageItem,
)
from web.triage_list import triage_rows
from web.views import patient_alerts

ERRORS: dict[int | str, dict[str, object]] = {
    401: {"model": Problem, "description": "not signed in"},
    403: {"model": Problem, "description": "not shared with you (the attempt is audited)"},
    422: {"model": Problem, "description": "invalid parameters"},
}
router = APIRouter(prefix="/api/v1", responses=ERRORS)


class FhirJSON(JSONResponse):
    media_type = "application/fhir+json"


def _alert_out(a: AlertRecord) -> AlertOut:
    return AlertOut(
        id=a.id,
        patient_id=a.patient,
        category=a.category,
        kind=a.kind,
        severity=a.severity,
        status=a.status,
        opened_at=a.opened_at,
        message=a.message,
        acknowledged_by=a.acknowledged_by,
        acknowledged_at=a.acknowledged_at,
        ack_note=a.ack_note,
        resolved_at=a.resolved_at,
    )


@router.get("/me", response_model=AccountOut)
def me(user: CurrentUser) -> AccountOut:
    return AccountOut(
        username=user.username,
        role=user.role,
        patient_id=user.patient_id,
        professional_id=user.professional_id,
    )


@router.get("/patients", response_model=list[TriageItem])
def triage(
    services: ServicesDep,
    session: SessionDep,
    user: ProfessionalDep,
    caps: TeamCaps,
    now: NowDep,
) -> list[TriageItem]:
    """The team's triage list: urgent, then warnings, then silent, then the rest."""
    summaries = services.summaries.get_many(list(caps), now)
    return [
        TriageItem(
            patient_id=row.patient_id,
            label=row.label,
            level=row.level,  # type: ignore[arg-type]
            open_alerts=len(row.alerts),
            adherence_pct=row.adherence,
            last_reading=row.last_time,
            latest=[
                KindLatest(
                    kind=cell.kind,
                    time=cell.when,
                    metrics=dict(summaries[row.patient_id].kinds[cell.kind].last_metrics),
                )
                for cell in row.cells
            ],
        )
        for row in triage_rows(session, caps, summaries, now)
    ]


@router.get("/patients/{patient_id}/readings/{kind}", response_model=list[ReadingOut])
def readings(
    services: ServicesDep,
    cap: KindViewCap,
    kind: Kind,
    now: NowDep,
    start: datetime | None = None,
    end: datetime | None = None,
) -> list[ReadingOut]:
    """One kind of the patient's readings in [start, end) (default: the last 30 days)."""
    end = _aware(end) if end else now
    start = _aware(start) if start else end.replace(microsecond=0) - _DAYS_30
    if start >= end:
        return []
    frame = services.store.series(cap.patient_id, kind, start, end)
    metrics = [c for c in frame.columns if c not in ("id", "flags")]
    return [
        ReadingOut(
            id=str(row["id"]),
            kind=kind,
            time=stamp.to_pydatetime(),
            metrics={m: (None if row[m] != row[m] else float(row[m])) for m in metrics},
            flags=[f for f in str(row["flags"]).split(",") if f],
        )
        for stamp, row in zip(pd.DatetimeIndex(frame.index), frame.to_dict("records"), strict=True)
    ]


@router.get("/patients/{patient_id}/alerts", response_model=list[AlertOut])
def alerts(session: SessionDep, user: ProfessionalDep, cap: ViewCap) -> list[AlertOut]:
    return [_alert_out(a) for a in patient_alerts(session, cap)]


@router.post(
    "/alerts/{alert_id}/acknowledge",
    response_model=AlertOut,
    dependencies=[CsrfChecked],
    responses={404: {"model": Problem}, 409: {"model": Problem}},
)
def acknowledge(
    body: AcknowledgeIn,
    services: ServicesDep,
    user: ProfessionalDep,
    access: AlertAccessDep,
    now: NowDep,
) -> AlertOut:
    """Acknowledge one alert with a note (send the CSRF token in ``X-CSRF-Token``)."""
    try:
        alert_actions.acknowledge(services.sessions, access.alert.id, user.username, now, body.note)
    except StoreError as exc:
        raise HTTPException(status_code=409, detail=str(exc)) from exc
    return _alert_out(SqlAlertStore(services.sessions).get(access.alert.id))


@router.get("/me/grants", response_model=list[GrantOut])
def my_grants(session: SessionDep, user: PatientUser, cap: SelfCap, now: NowDep) -> list[GrantOut]:
    return [
        GrantOut(
            id=g.id,
            recipient_type=g.recipient_type.value,
            recipient_label=g.recipient_label,
            kinds=sorted(g.kinds),
            alerts=g.alerts,
            starts_at=g.starts_at,
            ends_at=g.ends_at,
            status=g.status,
        )
        for g in grants_for_patient(session, cap.patient_id, now=now)
    ]


@router.get("/me/audit", response_model=list[AuditLineOut])
def my_audit(
    session: SessionDep, user: PatientUser, cap: SelfCap, lang: LangDep
) -> list[AuditLineOut]:
    """Who looked at my data, newest first, in my language."""
    patient = session.get(Patient, cap.patient_id)
    zone = patient.time_zone if patient else "UTC"
    return [
        AuditLineOut(at=line.at, text=line.text, result=line.result)
        for line in audit_for_patient(session, cap.patient_id, lang=lang, time_zone=zone)
    ]


@router.get("/patients/{patient_id}/fhir", response_model=Bundle, response_class=FhirJSON)
def fhir_export(request: Request, services: ServicesDep, cap: FhirCap, now: NowDep) -> Bundle:
    """The patient's shared readings as a FHIR ``collection`` Bundle of Observations."""
    resources = [
        o
        for kind in sorted(cap.kinds)
        for r in services.store.readings(cap.patient_id, kind=kind)
        for o in observations(r)
    ]
    return Bundle.model_validate(
        bundle(resources, kind="collection", now=now, base=_fhir_base(request))
    )


def _fhir_base(request: Request) -> str:
    return str(request.base_url) + "api/v1/fhir/"


def _aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


_DAYS_30 = timedelta(days=30)


@dataclass(frozen=True, slots=True)
class FhirQuery:
    capability: Capability
    kinds: tuple[Kind, ...]
    codes: frozenset[str] | None
    window: Window


def fhir_query(
    session: SessionDep,
    accessor: AccessorDep,
    now: NowDep,
    patient: Annotated[
        str, Query(min_length=1, max_length=80, description="Patient id (or Patient/<id>)")
    ],
    code: Annotated[
        str | None, Query(max_length=200, description="[system|]code, comma-separated")
    ] = None,
    date: Annotated[list[str] | None, Query(description="eq|ge|gt|le|lt + FHIR date")] = None,
) -> FhirQuery:
    """Parse the search, then ask sharing (audited) for exactly the kinds it reaches."""
    patient_id = patient.removeprefix("Patient/")
    try:
        parsed = [parse_code(token) for token in code.split(",")] if code else None
        window = parse_dates(date or [])
    except SearchError as exc:
        raise HTTPException(status_code=400, detail=str(exc)) from exc
    kinds = tuple(sorted({k for found, _ in parsed for k in found})) if parsed else None
    if kinds is not None and (
        len(kinds) == 1 or not set(kinds) & visible_kinds(session, accessor, patient_id, now)
    ):  # one kind, or none of a code's kinds (an oximeter's pulse) shared: refused as one
        cap = authorize_purpose(session, accessor, patient_id, kinds[0], Purpose.FHIR, now)
    else:
        cap = authorize_purpose(session, accessor, patient_id, None, Purpose.FHIR, now)
    wanted = tuple(k for k in (kinds or sorted(cap.kinds)) if k in cap.kinds)
    codes = frozenset(c for _, c in parsed) if parsed else None
    return FhirQuery(cap, wanted, codes, window)


@router.get(
    "/fhir/Observation",
    response_model=Bundle,
    response_class=FhirJSON,
    responses={400: {"model": Problem, "description": "bad search parameter"}},
)
def fhir_search(
    request: Request,
    services: ServicesDep,
    query: Annotated[FhirQuery, Depends(fhir_query)],
    now: NowDep,
) -> Bundle:
    """Search Observations by ``patient`` (required), ``code`` and ``date``."""
    found = []
    for kind in query.kinds:
        for reading in services.store.readings(
            query.capability.patient_id, since=query.window.start, kind=kind
        ):
            if reading.time >= query.window.end:
                break
            for obs in observations(reading):
                if query.codes is None or codes_of(obs) & query.codes:
                    found.append(obs)
    return Bundle.model_validate(bundle(found, kind="searchset", now=now, base=_fhir_base(request)))
