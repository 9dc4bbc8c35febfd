"""The patient's own data out: who looked at it, and every reading as a download."""

from __future__ import annotations

import json
from collections.abc import Iterator

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response, StreamingResponse

from sharing.audit import audit_for_patient
from sharing.models import Patient
from web.deps import LangDep, NowDep, PatientUser, SelfCap, ServicesDep, SessionDep
from web.fhir import bundle, observations
from web.i18n import t
from web.routes.render import page
from web.words import Words, zone_of

router = APIRouter(include_in_schema=False)


@router.get("/me/audit", response_class=HTMLResponse)
def who_looked(
    request: Request,
    services: ServicesDep,
    session: SessionDep,
    user: PatientUser,
    cap: SelfCap,
    lang: LangDep,
) -> HTMLResponse:
    patient = session.get(Patient, cap.patient_id)
    zone = patient.time_zone if patient else services.settings.time_zone
    lines = audit_for_patient(session, cap.patient_id, lang=lang, time_zone=zone)
    return page(
        request,
        services,
        "audit.html",
        lang=lang,
        user=user,
        title=t("who_looked", lang),
        body_class="patient",
        lines=lines,
        when=Words(lang, zone_of(zone, services.settings.time_zone)).when,
        zone=zone,
    )


@router.get("/me/export.jsonl")
def export_jsonl(services: ServicesDep, user: PatientUser, cap: SelfCap) -> StreamingResponse:
    """Every reading of the patient, one wire-format JSON object per line."""

    def lines() -> Iterator[bytes]:
        for reading in services.store.readings(cap.patient_id):
            yield json.dumps(reading.as_json()).encode() + b"\n"

    return StreamingResponse(
        lines(),
        media_type="application/jsonl",
        headers={"Content-Disposition": f'attachment; filename="{cap.patient_id}.jsonl"'},
    )


@router.get("/me/export.fhir.json")
def export_fhir(
    request: Request, services: ServicesDep, user: PatientUser, cap: SelfCap, now: NowDep
) -> Response:
    resources = [o for r in services.store.readings(cap.patient_id) for o in observations(r)]
    body = bundle(
        resources, kind="collection", now=now, base=str(request.base_url) + "api/v1/fhir/"
    )
    return Response(
        json.dumps(body),
        media_type="application/fhir+json",
        headers={"Content-Disposition": f'attachment; filename="{cap.patient_id}.fhir.json"'},
    )
