"""Typed dependencies: the database session, the store, the clock, who is signed in,
and the one authorisation step every patient-data route goes through.

Routes never check permissions themselves: they declare a `Capability`
parameter (``ViewCap``, ``ExportCap``, ...) and FastAPI runs
`sharing.access.authorize` before the route body — grant verified, audit row
written and committed, refusal turned into a 403 that says nothing more.
"""

from __future__ import annotations

import hmac
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Annotated

import structlog
from fastapi import Depends, HTTPException, Query, Request
from fastapi.templating import Jinja2Templates
from sqlalchemy.orm import Session, sessionmaker

from alerts.lifecycle import AlertRecord
from alerts.ruleset import RuleSet
from collector.store import ReadingStore
from devices.reading import Kind
from sharing.access import authorize
from sharing.capability import Accessor, Capability, CodeBearer, PatientSelf, ProfessionalUser
from sharing.policy import CodePolicy
from sharing.terms import Language, Purpose, Role
from veille.clock import Clock
from veille.errors import NotAllowed
from web.accounts import PATIENT_ROLE, SignedIn, current
from web.i18n import COOKIE as LANG_COOKIE
from web.i18n import negotiate
from web.settings import WebSettings
from web.triage import SummaryCache

SESSION_COOKIE = "veille_session"
CODE_COOKIE = "veille_code"
CSRF_COOKIE = "veille_csrf"


def csrf_cookie(secure: bool) -> str:
    """The anonymous CSRF cookie's name: ``__Host-`` whenever cookies are Secure.

    The prefix makes the browser refuse the cookie unless it is Secure, for
    ``/``, and without a Domain, so a sibling subdomain cannot plant a known
    token for a login CSRF. Browsers drop ``__Host-`` cookies sent over plain
    HTTP, so with ``cookie_secure = false`` (the demo and tests on loopback,
    where there is no sibling subdomain) the plain name is used.
    """
    return f"__Host-{CSRF_COOKIE}" if secure else CSRF_COOKIE


log = structlog.get_logger("web")


@dataclass(frozen=True, slots=True)
class Services:
    """Everything a request may use; built once by `create_app`, kept in ``app.state``."""

    settings: WebSettings
    key: bytes
    sessions: sessionmaker[Session]
    store: ReadingStore
    clock: Clock
    rules: RuleSet
    summaries: SummaryCache
    templates: Jinja2Templates
    code_policy: CodePolicy


def get_services(request: Request) -> Services:
    services: Services = request.app.state.services
    return services


ServicesDep = Annotated[Services, Depends(get_services)]


def get_session(services: ServicesDep) -> Iterator[Session]:
    with services.sessions() as session:
        yield session


SessionDep = Annotated[Session, Depends(get_session)]


def get_store(services: ServicesDep) -> ReadingStore:
    return services.store


StoreDep = Annotated[ReadingStore, Depends(get_store)]


def get_now(services: ServicesDep) -> datetime:
    return services.clock.now()


NowDep = Annotated[datetime, Depends(get_now)]


def get_language(request: Request) -> Language:
    return negotiate(request.cookies.get(LANG_COOKIE), request.headers.get("accept-language"))


LangDep = Annotated[Language, Depends(get_language)]


class NotSignedIn(HTTPException):
    """401; HTML pages turn it into a redirect to the sign-in page."""

    def __init__(self) -> None:
        super().__init__(status_code=401, detail="sign in first")


def get_optional_user(
    request: Request, session: SessionDep, services: ServicesDep, now: NowDep
) -> SignedIn | None:
    return current(session, request.cookies.get(SESSION_COOKIE), now=now, key=services.key)


MaybeUser = Annotated[SignedIn | None, Depends(get_optional_user)]


def get_user(user: MaybeUser) -> SignedIn:
    if user is None:
        raise NotSignedIn
    return user


CurrentUser = Annotated[SignedIn, Depends(get_user)]


def _forbidden() -> HTTPException:
    return HTTPException(status_code=403, detail="not allowed")


def get_professional(user: CurrentUser) -> SignedIn:
    if user.professional_id is None:
        raise _forbidden()
    return user


Professional = Annotated[SignedIn, Depends(get_professional)]


def professional_id_of(user: SignedIn) -> int:
    """The professional behind an account (`get_professional` admitted it; 403 otherwise)."""
    if user.professional_id is None:
        raise _forbidden()
    return user.professional_id


def patient_id_of(user: SignedIn) -> str:
    """The patient behind an account (`get_patient_user` admitted it; 403 otherwise)."""
    if user.patient_id is None:
        raise _forbidden()
    return user.patient_id


def get_physician(user: Professional) -> SignedIn:
    if user.role != "physician":
        raise _forbidden()
    return user


Physician = Annotated[SignedIn, Depends(get_physician)]


def get_team_lead(user: Professional) -> SignedIn:
    """The team lead is the team's ``care_team_admin`` (sharing's role): it reviews the
    team's emergency accesses."""
    if user.role != Role.CARE_TEAM_ADMIN.value:
        raise _forbidden()
    return user


TeamLead = Annotated[SignedIn, Depends(get_team_lead)]


def get_patient_user(user: CurrentUser) -> SignedIn:
    if user.role != PATIENT_ROLE or user.patient_id is None:
        raise _forbidden()
    return user


PatientUser = Annotated[SignedIn, Depends(get_patient_user)]


def get_accessor(request: Request, user: MaybeUser) -> Accessor:
    """The sharing identity of whoever asks: account, else a redeemed access code."""
    if user is not None:
        if user.professional_id is not None:
            return ProfessionalUser(user.professional_id)
        if user.patient_id is not None:
            return PatientSelf(user.patient_id)
    token = request.cookies.get(CODE_COOKIE)
    if token:
        return CodeBearer(token)
    raise NotSignedIn


AccessorDep = Annotated[Accessor, Depends(get_accessor)]


def _decide(
    session: Session,
    accessor: Accessor,
    patient_id: str,
    kind: Kind | None,
    purpose: Purpose,
    now: datetime,
) -> Capability:
    try:
        return authorize(session, accessor, patient_id, kind, purpose, now)
    except NotAllowed as refused:
        log.info(
            "access_refused",
            patient=patient_id,
            kind=kind.value if kind else None,
            purpose=purpose.value,
            reason=str(refused.reason),
        )
        raise _forbidden() from refused


def capability_for(purpose: Purpose) -> Callable[..., Capability]:
    """A dependency: may the caller read ``{patient_id}`` (any shared kind) for ``purpose``?"""

    def dependency(
        patient_id: str, session: SessionDep, accessor: AccessorDep, now: NowDep
    ) -> Capability:
        return _decide(session, accessor, patient_id, None, purpose, now)

    return dependency


def kind_capability_for(purpose: Purpose) -> Callable[..., Capability]:
    """A dependency: may the caller read ``{patient_id}``'s ``{kind}`` for ``purpose``?"""

    def dependency(
        patient_id: str, kind: Kind, session: SessionDep, accessor: AccessorDep, now: NowDep
    ) -> Capability:
        return _decide(session, accessor, patient_id, kind, purpose, now)

    return dependency


def authorize_kind(
    session: Session, accessor: Accessor, patient_id: str, kind: Kind | None, now: datetime
) -> Capability:
    """For dependencies that learn the patient from a row (an alert): same rule, same 403."""
    return _decide(session, accessor, patient_id, kind, Purpose.VIEW, now)


ViewCap = Annotated[Capability, Depends(capability_for(Purpose.VIEW))]
ExportCap = Annotated[Capability, Depends(capability_for(Purpose.EXPORT))]
FhirCap = Annotated[Capability, Depends(capability_for(Purpose.FHIR))]
KindViewCap = Annotated[Capability, Depends(kind_capability_for(Purpose.VIEW))]
KindExportCap = Annotated[Capability, Depends(kind_capability_for(Purpose.EXPORT))]


def csrf_expected(request: Request, user: SignedIn | None) -> str:
    """The token this browser's forms carry: the session's, else the anonymous cookie's."""
    if user is not None:
        return user.csrf
    token: str = request.state.csrf
    return token


async def check_csrf(request: Request, user: MaybeUser) -> None:
    """Every form POST echoes the CSRF token (a form field, or the X-CSRF-Token header)."""
    sent = request.headers.get("x-csrf-token")
    if sent is None:
        form = await request.form()
        value = form.get("csrf")
        sent = value if isinstance(value, str) else None
    expected = csrf_expected(request, user)
    if not sent or not hmac.compare_digest(sent, expected):
        raise HTTPException(status_code=403, detail="missing or wrong CSRF token; reload the page")


CsrfChecked = Depends(check_csrf)


def get_team_caps(user: Professional, session: SessionDep, now: NowDep) -> dict[str, Capability]:
    """Capabilities for every patient on the professional's list (refused ones absent)."""
    from sharing.access import authorize_many
    from sharing.visibility import team_patient_ids

    professional_id = professional_id_of(user)
    ids = team_patient_ids(session, professional_id, now)
    return authorize_many(session, ProfessionalUser(professional_id), ids, Purpose.TRIAGE, now)


TeamCaps = Annotated[dict[str, Capability], Depends(get_team_caps)]


@dataclass(frozen=True, slots=True)
class AlertAccess:
    alert: AlertRecord
    capability: Capability


def get_alert_access(
    alert_id: str, session: SessionDep, user: Professional, now: NowDep
) -> AlertAccess:
    """An alert the professional may act on: its patient shares its kind with them (audited).

    An unknown alert and a device problem (the patient's own business) are 404.
    """
    from alerts.models import Alert
    from alerts.sqlstore import to_record

    professional_id = professional_id_of(user)
    row = session.get(Alert, alert_id)
    if row is None:
        raise HTTPException(status_code=404, detail="no such alert")
    record = to_record(row)
    if not record.category.clinical:
        raise HTTPException(status_code=404, detail="no such alert")
    cap = _decide(
        session,
        ProfessionalUser(professional_id),
        record.patient,
        record.kind,
        Purpose.VIEW,
        now,
    )
    return AlertAccess(record, cap)


AlertAccessDep = Annotated[AlertAccess, Depends(get_alert_access)]


def get_self_cap(user: PatientUser, session: SessionDep, now: NowDep) -> Capability:
    """A signed-in patient's capability on their own data (sharing says yes; not audited)."""
    patient_id = patient_id_of(user)
    return _decide(session, PatientSelf(patient_id), patient_id, None, Purpose.VIEW, now)


SelfCap = Annotated[Capability, Depends(get_self_cap)]


def get_code_cap(patient_id: str, request: Request, session: SessionDep, now: NowDep) -> Capability:
    """The read-only capability of a redeemed access code (its bearer token cookie)."""
    token = request.cookies.get(CODE_COOKIE)
    if not token:
        raise HTTPException(status_code=403, detail="not allowed")
    return _decide(session, CodeBearer(token), patient_id, None, Purpose.VIEW, now)


CodeCap = Annotated[Capability, Depends(get_code_cap)]


def authorize_purpose(
    session: Session,
    accessor: Accessor,
    patient_id: str,
    kind: Kind | None,
    purpose: Purpose,
    now: datetime,
) -> Capability:
    """For dependencies whose patient is a query parameter (FHIR search): same rule, same 403."""
    return _decide(session, accessor, patient_id, kind, purpose, now)


def get_days(days: Annotated[int, Query(ge=7, le=90, description="7, 30 or 90")] = 30) -> int:
    """The chart span a page shows: 7, 30 or 90 days."""
    if days not in (7, 30, 90):
        raise HTTPException(status_code=422, detail="days is 7, 30 or 90")
    return days


DaysDep = Annotated[int, Depends(get_days)]
