"""The patient's own pages: devices, values, sharing, codes, who looked, download."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Annotated
from zoneinfo import ZoneInfo

import structlog
from fastapi import APIRouter, Form, HTTPException, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy.orm import Session

from alerts.sqlstore import DbTargets
from devices.reading import Kind
from sharing.capability import Capability
from sharing.codes import codes_for_patient, create_code, revoke_code
from sharing.errors import InvalidRequest
from sharing.grants import (
    DEFAULT_GRANT,
    MAX_GRANT,
    create_grant,
    grants_for_patient,
    renew_grant,
    revoke_grant,
)
from sharing.identities import patient_teams, professionals
from sharing.kinds import SHAREABLE
from sharing.models import Grant, Patient
from sharing.notifications import NoticeView, mark_read, notifications_for_patient, unread_count
from sharing.terms import Language
from sharing.texts import kinds_text
from sharing.texts import text as sharing_text
from veille.errors import NotAllowed
from web.accounts import SignedIn
from web.chartviews import patient_charts
from web.deps import (
    CsrfChecked,
    LangDep,
    NowDep,
    PatientUser,
    SelfCap,
    Services,
    ServicesDep,
    SessionDep,
    patient_id_of,
)
from web.i18n import t
from web.metric_labels import metric_label
from web.routes.render import page
from web.triage import FOLLOWED
from web.words import Words, latest_value, zone_of
from wire.reading import WireReading


def value_text(reading: WireReading, words: Words) -> str:
    """A value as the patient reads it (``128/80 mmHg``), whatever the kind, in the
    locale's numbers."""
    if reading.kind in (*FOLLOWED, Kind.SPO2_CONTINUOUS):
        return latest_value(words, reading.kind.value, reading.metrics)
    return ", ".join(
        f"{metric_label(name, words.lang)} : {words.number(v, 1)}"
        for name, v in reading.metrics.items()
    )


def _today(now: datetime, zone: str) -> date:
    """The patient's calendar day: renewal dates are days as they read them."""
    return now.astimezone(ZoneInfo(zone)).date()


router = APIRouter(include_in_schema=False)
log = structlog.get_logger("web")


def _home(
    request: Request,
    services: Services,
    session: Session,
    user: SignedIn,
    cap: Capability,
    lang: Language,
    *,
    error: str | None = None,
    new_code: str | None = None,
    errors: dict[str, str] | None = None,
    typed: dict[str, object] | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    pid = patient_id_of(user)
    now = services.clock.now()
    patient = session.get(Patient, pid)
    zone = patient.time_zone if patient else services.settings.time_zone
    words = Words(lang, zone_of(zone, services.settings.time_zone))
    rules = services.rules.with_targets(
        DbTargets(services.sessions, services.rules).for_patient(pid)
    )
    charts = patient_charts(
        services.store,
        cap,
        days=30,
        now=now,
        rules=rules,
        alerts=[],
        lang=lang,
        zone=ZoneInfo(zone),
        say_absent=False,
    )
    today = _today(now, zone)
    latest = services.store.latest(pid)
    devices: dict[str, tuple[str, str]] = {}
    for reading in latest:
        name = reading.device.model or sharing_text(f"device.{reading.kind.value}", lang)
        when = words.when(reading.received)
        if reading.device.address not in devices or devices[reading.device.address][1] < when:
            devices[reading.device.address] = (name, when)
    return page(
        request,
        services,
        "me.html",
        lang=lang,
        user=user,
        title=t("me_home", lang),
        body_class="patient",
        devices=sorted(devices.values()),
        values=[
            (
                sharing_text(f"kind.{r.kind.value}", lang),
                value_text(r, words),
                words.when(r.time, zone=False),
            )
            for r in latest
        ],
        notices=_notices(session, pid, lang),
        unread=unread_count(session, pid),
        renew_min=today + timedelta(days=1),
        renew_default=today + DEFAULT_GRANT,
        renew_max=today + MAX_GRANT,
        grants=grants_for_patient(session, pid, now=now),
        codes=codes_for_patient(session, pid, now=now),
        teams=patient_teams(session, pid),
        pros=[p for p in professionals(session) if p.active],
        kinds=SHAREABLE,
        kind_name=lambda k: sharing_text(f"kind.{Kind(k).value}", lang),
        kinds_text=lambda ks: kinds_text(sorted(k.value for k in ks), lang),
        when=words.when,
        when_cell=lambda m: words.when(m, zone=False),  # a table whose heading says the zone
        zone=words.zone,
        error=error,
        new_code=new_code,
        errors=errors or {},
        typed=typed or {},
        charts=charts,
        days=30,
        status_code=status_code,
    )


def _notices(session: Session, patient_id: str, lang: Language) -> list[NoticeView]:
    """Every unread notice (an old one must not hide below the fold) and the latest read."""
    unread = notifications_for_patient(session, patient_id, lang=lang, unread_only=True)
    recent = notifications_for_patient(session, patient_id, lang=lang, limit=10)
    shown = {n.id: n for n in [*unread, *recent]}
    return sorted(shown.values(), key=lambda n: n.id, reverse=True)


@router.get("/me", response_class=HTMLResponse)
def me(
    request: Request,
    services: ServicesDep,
    session: SessionDep,
    user: PatientUser,
    cap: SelfCap,
    lang: LangDep,
) -> HTMLResponse:
    return _home(request, services, session, user, cap, lang)


@router.post("/me/grants", dependencies=[CsrfChecked], response_model=None)
def share(
    request: Request,
    services: ServicesDep,
    session: SessionDep,
    user: PatientUser,
    cap: SelfCap,
    lang: LangDep,
    now: NowDep,
    recipient: Annotated[str, Form(max_length=20)] = "",
    kinds: Annotated[list[str] | None, Form()] = None,
    days: Annotated[str, Form(max_length=20)] = "365",
    alerts: Annotated[bool, Form()] = False,
) -> Response:
    typed: dict[str, object] = {
        "recipient": recipient,
        "kinds": kinds or [],
        "days": days,
        "alerts": alerts,
    }
    errors = _kinds_error(kinds, lang, "share_kinds")
    span = _whole(days, 1, MAX_GRANT.days)
    if span is None:
        errors["share_days"] = t("days_range", lang).format(high=MAX_GRANT.days)
    which, _, ident = recipient.partition(":")
    if which not in ("team", "pro") or not ident.isdigit():
        errors["recipient"] = t("field_required", lang)
    if errors or span is None:
        return _home(
            request, services, session, user, cap, lang, errors=errors, typed=typed, status_code=422
        )
    try:
        create_grant(
            session,
            cap.patient_id,
            kinds=[Kind(k) for k in kinds or []],
            alerts=alerts,
            ends_at=now + timedelta(days=span),
            now=now,
            team_id=int(ident) if which == "team" else None,
            professional_id=int(ident) if which == "pro" else None,
        )
    except InvalidRequest as exc:
        return _refused(request, services, session, user, cap, lang, exc, typed)
    session.commit()
    return RedirectResponse("/me#sharing", status_code=303)


def _refused(
    request: Request,
    services: Services,
    session: Session,
    user: SignedIn,
    cap: Capability,
    lang: Language,
    refusal: InvalidRequest,
    typed: dict[str, object],
) -> HTMLResponse:
    """Sharing refused what the form asked: nothing changed, the form again as it was typed
    (sharing's own sentence is for logs; the page says it in the patient's language)."""
    session.rollback()
    log.info("patient_form_refused", reason=str(refusal)[:120])
    return _home(
        request,
        services,
        session,
        user,
        cap,
        lang,
        error=t("sharing_refused", lang),
        typed=typed,
        status_code=422,
    )


def _kinds_error(kinds: list[str] | None, lang: Language, field: str) -> dict[str, str]:
    """Nothing ticked (or a kind that is not offered): said next to the boxes."""
    offered = {k.value for k in SHAREABLE}
    if not kinds or not set(kinds) <= offered:
        return {field: t("tick_one", lang)}
    return {}


def _whole(text: str, low: int, high: int) -> int | None:
    """A whole number typed in a form, within [low, high]; None otherwise."""
    cleaned = text.strip()
    if not cleaned.isdigit() or not low <= int(cleaned) <= high:
        return None
    return int(cleaned)


def _sharing_changed(services: Services, session: Session, patient_id: str) -> RedirectResponse:
    """Commit a change to a grant; the team's cached triage row must not outlive it."""
    session.commit()
    services.summaries.forget(patient_id)
    return RedirectResponse("/me#sharing", status_code=303)


@router.post("/me/grants/{grant_id}/revoke", dependencies=[CsrfChecked])
def stop_sharing(
    grant_id: int,
    services: ServicesDep,
    session: SessionDep,
    user: PatientUser,
    cap: SelfCap,
    now: NowDep,
) -> RedirectResponse:
    try:
        revoke_grant(session, grant_id, patient_id=cap.patient_id, now=now)
    except NotAllowed as exc:
        raise HTTPException(status_code=404, detail="no such grant") from exc
    return _sharing_changed(services, session, cap.patient_id)


@router.post("/me/grants/{grant_id}/renew", dependencies=[CsrfChecked], response_model=None)
def extend_sharing(
    grant_id: int,
    request: Request,
    services: ServicesDep,
    session: SessionDep,
    user: PatientUser,
    cap: SelfCap,
    lang: LangDep,
    now: NowDep,
    ends_on: Annotated[date, Form()],
) -> Response:
    """Move a grant's end to the chosen day (same time of day); sharing keeps the limits."""
    patient = session.get(Patient, cap.patient_id)
    days = (ends_on - _today(now, patient.time_zone if patient else "UTC")).days
    try:
        renew_grant(
            session,
            grant_id,
            patient_id=cap.patient_id,
            ends_at=now + timedelta(days=days),
            now=now,
        )
    except NotAllowed as exc:
        raise HTTPException(status_code=404, detail="no such grant") from exc
    except InvalidRequest:
        session.rollback()
        grant = session.get(Grant, grant_id)
        if grant is not None and grant.revoked_at is not None:
            error = t("renew_revoked", lang)
        else:
            error = t("renew_bad_end", lang).format(days=MAX_GRANT.days)
        return _home(request, services, session, user, cap, lang, error=error, status_code=422)
    return _sharing_changed(services, session, cap.patient_id)


@router.post("/me/notices/read", dependencies=[CsrfChecked])
def notices_read(
    session: SessionDep,
    user: PatientUser,
    cap: SelfCap,
    now: NowDep,
    ids: Annotated[list[int], Form()],
) -> RedirectResponse:
    """Mark the notices the patient saw as read (another patient's ids change nothing)."""
    mark_read(session, cap.patient_id, ids, now=now)
    session.commit()
    return RedirectResponse("/me#notices", status_code=303)


@router.post("/me/codes", dependencies=[CsrfChecked], response_model=None)
def new_code(
    request: Request,
    services: ServicesDep,
    session: SessionDep,
    user: PatientUser,
    cap: SelfCap,
    lang: LangDep,
    now: NowDep,
    kinds: Annotated[list[str] | None, Form()] = None,
    hours: Annotated[str, Form(max_length=20)] = "24",
    label: Annotated[str, Form(max_length=200)] = "",
    downloads: Annotated[bool, Form()] = False,
) -> Response:
    typed: dict[str, object] = {
        "code_kinds": kinds or [],
        "hours": hours,
        "label": label,
        "downloads": downloads,
    }
    errors = _kinds_error(kinds, lang, "code_kinds")
    ttl = _whole(hours, 1, 720)
    if ttl is None:
        errors["code_hours"] = t("hours_range", lang)
    if errors or ttl is None:
        return _home(
            request, services, session, user, cap, lang, errors=errors, typed=typed, status_code=422
        )
    try:
        created = create_code(
            session,
            cap.patient_id,
            kinds=[Kind(k) for k in kinds or []],
            now=now,
            ttl=timedelta(hours=ttl),
            label=label.strip() or None,
            downloads=downloads,
            policy=services.code_policy,
        )
    except InvalidRequest as exc:
        return _refused(request, services, session, user, cap, lang, exc, typed)
    session.commit()
    return _home(request, services, session, user, cap, lang, new_code=created.code)


@router.post("/me/codes/{code_id}/revoke", dependencies=[CsrfChecked])
def cancel_code(
    code_id: int, session: SessionDep, user: PatientUser, cap: SelfCap, now: NowDep
) -> RedirectResponse:
    try:
        revoke_code(session, code_id, patient_id=cap.patient_id, now=now)
    except NotAllowed as exc:
        raise HTTPException(status_code=404, detail="no such code") from exc
    session.commit()
    return RedirectResponse("/me#codes", status_code=303)
