"""One patient for the care team: charts, readings table and its CSV, the targets editor."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy import select
from sqlalchemy.orm import Session

from alerts.models import AlertTarget
from alerts.sqlstore import DbTargets
from devices.reading import Kind
from sharing.capability import Capability
from sharing.models import Patient, Professional
from sharing.terms import Language
from sharing.texts import text as sharing_text
from veille.errors import ConfigError
from web.accounts import SignedIn
from web.chartviews import patient_charts
from web.deps import (
    CsrfChecked,
    DaysDep,
    KindExportCap,
    KindViewCap,
    LangDep,
    NowDep,
    Physician,
    Services,
    ServicesDep,
    SessionDep,
    ViewCap,
)
from web.deps import Professional as ProfessionalDep
from web.i18n import t
from web.readings_table import readings_table, to_csv
from web.routes.render import page, team_zone
from web.targets_form import parse_target, rule_title, target_forms
from web.views import patient_alerts

router = APIRouter(include_in_schema=False)


def kind_title(kind: Kind, lang: Language) -> str:
    words = sharing_text(f"kind.{kind.value}", lang)
    return words[:1].upper() + words[1:]


def _patient_page(
    request: Request,
    services: Services,
    session: Session,
    user: SignedIn,
    cap: Capability,
    lang: Language,
    days: int,
    *,
    saved: str | None = None,
    errors: dict[str, str] | None = None,
    failed: str | None = None,
    typed: dict[str, str] | None = None,
) -> HTMLResponse:
    """The page, fresh or again with a refused target form (its errors, the typed input)."""
    now = services.clock.now()
    patient = session.get(Patient, cap.patient_id)
    alerts = patient_alerts(session, cap)
    targets = DbTargets(services.sessions, services.rules).for_patient(cap.patient_id)
    rules = services.rules.with_targets(targets)
    zone = team_zone(services)
    charts = patient_charts(
        services.store,
        cap,
        days=days,
        now=now,
        rules=rules,
        alerts=alerts,
        lang=lang,
        zone=zone,
    )
    measured = frozenset(c.kind for c in charts.shown)
    forms = target_forms(rules, cap.kinds, lang)
    history = session.scalars(
        select(AlertTarget)
        .where(AlertTarget.patient_id == cap.patient_id)
        .order_by(AlertTarget.set_at.desc())
        .limit(20)
    ).all()
    names = {r.name: rule_title(r, lang) for r in services.rules.rules}
    folded = sorted({f.kind for f in forms} - measured, key=lambda k: k.value)
    saved_text = None
    if saved:
        rule, _, version = saved.rpartition(".")
        if rule in names and version.isdigit():
            saved_text = t("target_saved", lang).format(rule=names[rule], version=version)
    return page(
        request,
        services,
        "patient.html",
        lang=lang,
        user=user,
        title=(patient.label if patient and patient.label else cap.patient_id),
        status_code=422 if errors else 200,
        cap=cap,
        charts=charts,
        alerts=alerts,
        days=days,
        forms=[f for f in forms if f.kind in measured],
        folded_forms=[f for f in forms if f.kind not in measured],
        folded_kinds=", ".join(kind_title(k, lang).lower() for k in folded),
        target_history=history,
        rule_names=names,
        saved=saved_text,
        errors=errors or {},
        failed=failed,
        typed=typed or {},
        zone=zone,
        titles={k: kind_title(k, lang) for k in Kind},
    )


@router.get("/team/patients/{patient_id}", response_class=HTMLResponse)
def patient_page(
    request: Request,
    services: ServicesDep,
    session: SessionDep,
    user: ProfessionalDep,
    cap: ViewCap,
    lang: LangDep,
    days: DaysDep,
    saved: str | None = Query(default=None, max_length=64),
) -> HTMLResponse:
    return _patient_page(request, services, session, user, cap, lang, days, saved=saved)


@router.get("/team/patients/{patient_id}/readings/{kind}", response_class=HTMLResponse)
def readings_page(
    request: Request,
    services: ServicesDep,
    user: ProfessionalDep,
    cap: KindViewCap,
    kind: Kind,
    lang: LangDep,
    now: NowDep,
    days: DaysDep,
) -> HTMLResponse:
    table = readings_table(
        services.store, cap.patient_id, kind, now - timedelta(days=days), now, lang
    )
    return page(
        request,
        services,
        "readings.html",
        lang=lang,
        user=user,
        title=f"{t('readings', lang)} · {kind_title(kind, lang).lower()}",
        cap=cap,
        kind=kind,
        table=table,
        days=days,
        zone=team_zone(services),
    )


@router.get("/team/patients/{patient_id}/readings/{kind}/export.csv")
def readings_csv(
    services: ServicesDep,
    user: ProfessionalDep,
    cap: KindExportCap,
    kind: Kind,
    lang: LangDep,
    now: NowDep,
    days: DaysDep,
) -> Response:
    """The table the viewer may see, as a spreadsheet file (audited as an export)."""
    table = readings_table(
        services.store, cap.patient_id, kind, now - timedelta(days=days), now, lang
    )
    name = f"{cap.patient_id}-{kind.value}-{now.date().isoformat()}.csv"
    return Response(
        to_csv(table, lang, team_zone(services)),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )


def _text(form: Any, key: str) -> str:
    value = form.get(key)
    return value if isinstance(value, str) else ""


@router.post("/team/patients/{patient_id}/targets", dependencies=[CsrfChecked])
async def set_target(
    request: Request,
    services: ServicesDep,
    session: SessionDep,
    user: Physician,
    cap: ViewCap,
    lang: LangDep,
    now: NowDep,
    days: DaysDep,
) -> Response:
    """A physician changes a rule's parameters for this patient (a new version); a mistake
    gives the page again with the error next to the field and what was typed."""
    form = await request.form()
    rule = _text(form, "rule")
    targets = DbTargets(services.sessions, services.rules)
    rules = services.rules.with_targets(targets.for_patient(cap.patient_id))
    found = [f for f in target_forms(rules, cap.kinds, lang) if f.rule == rule]
    if not found:
        return _patient_page(
            request, services, session, user, cap, lang, days, errors={"": t("fix_below", lang)}
        )
    typed = {f.name: _text(form, f.name) for f in found[0].fields}
    typed["reason"] = _text(form, "reason").strip()
    parsed = parse_target(found[0], rules, typed, lang)
    errors = dict(parsed.errors)
    if len(typed["reason"]) < 3:
        errors["reason"] = t("reason_needed", lang)
    if not errors:
        professional = session.get(Professional, user.professional_id)
        by = professional.display_name if professional else user.username
        try:
            version = targets.set(
                cap.patient_id, rule, parsed.params, by=by, reason=typed["reason"], now=now
            )
        except ConfigError:
            errors[found[0].fields[0].name] = t("fix_below", lang)
        else:
            return RedirectResponse(
                f"/team/patients/{cap.patient_id}?days={days}&saved={rule}.{version}#targets",
                status_code=303,
            )
    return _patient_page(
        request, services, session, user, cap, lang, days, errors=errors, failed=rule, typed=typed
    )
