"""What the demo's web app needs before the first reading: a care team, accounts, consent.

The care team (a nurse and a physician) comes from `sharing.demo`; the
patients of the demo household are registered with their own choices, made
to show that consent matters: three share their clinical kinds with the
team, alerts included; the spouse who shares his scale shares only weight,
without alerts.
Each person gets a web account, and the server is told that the demo
gateway serves these four patients (`collector.pairings`: the collector
refuses readings of any other patient from it). Everything is idempotent: a
second run on the same data directory finds it all in place.

The passwords are DEMO passwords, printed on purpose, valid only for the
demo's own database on loopback.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from collector.pairings import pair
from demo.gateway import GATEWAY_ID
from sharing.demo import DemoWorld, seed_demo
from sharing.identities import add_professional, update_patient
from sharing.models import Professional
from sharing.terms import Role
from veille.errors import ConfigError
from web.accounts import create_account
from web.models import Account

#: The patients of `devices/sim/households/demo.toml`, with the label their care team gave.
HEART_FAILURE = "p-7f3a"  # heart failure, weight climbs
SPOUSE = "p-b41d"  # his wife, hypertensive, shares the scale: shares weight only
HYPERTENSION = "p-3e9c"  # poorly controlled hypertension
DIABETES = "p-d208"  # type 1 diabetes, a hypoglycaemia
COPD = "p-c0d5"  # COPD follow-up: oximeter and thermometer, an exacerbation with fever
LABELS = {
    HEART_FAILURE: "Jean D. (demo)",
    SPOUSE: "Marie D. (demo)",
    HYPERTENSION: "Fatima B. (demo)",
    DIABETES: "Louis M. (demo)",
    COPD: "Odile R. (demo)",
}


@dataclass(frozen=True, slots=True)
class DemoAccount:
    username: str
    password: str
    role: str
    who: str


NURSE = DemoAccount("nurse.demo", "demo-nurse-2026", "nurse", "Claire, nurse of the demo team")
PHYSICIAN = DemoAccount("doctor.demo", "demo-doctor-2026", "physician", "Dr Martin")
COORDINATOR = DemoAccount(
    "coord.demo", "demo-coord-2026", "coordinator", "Chloé, the programme's technical contact"
)
LEAD = DemoAccount("lead.demo", "demo-lead-2026", "care_team_admin", "Mme Cadre, team lead")
PATIENT_ACCOUNTS: dict[str, DemoAccount] = {
    HEART_FAILURE: DemoAccount("jean.demo", "demo-patient-2026", "patient", "heart failure"),
    HYPERTENSION: DemoAccount("fatima.demo", "demo-patient-2026", "patient", "hypertension"),
    DIABETES: DemoAccount("louis.demo", "demo-patient-2026", "patient", "type 1 diabetes"),
    SPOUSE: DemoAccount("marie.demo", "demo-patient-2026", "patient", "shares weight only"),
    COPD: DemoAccount("odile.demo", "demo-patient-2026", "patient", "COPD follow-up"),
}


def _account(
    session: Session,
    account: DemoAccount,
    now: datetime,
    *,
    professional_id: int | None = None,
    patient_id: str | None = None,
) -> None:
    known = session.scalars(select(Account).where(Account.username == account.username)).first()
    if known is None:
        create_account(
            session,
            account.username,
            account.password,
            now=now,
            professional_id=professional_id,
            patient_id=patient_id,
        )


def _coordinator(session: Session, now: datetime) -> None:
    """The programme's technical contact: every gateway's health, in no care team."""
    known = session.scalars(select(Account).where(Account.username == COORDINATOR.username))
    if known.first() is None:
        person = add_professional(session, "Chloé (coordination)", Role.COORDINATOR)
        _account(session, COORDINATOR, now, professional_id=person.id)


def _team_lead(session: Session, team_id: int) -> int:
    """The demo team's lead (care_team_admin): reviews emergency accesses at /team/break-glass."""
    lead = session.scalars(
        select(Professional).where(
            Professional.team_id == team_id, Professional.role == Role.CARE_TEAM_ADMIN.value
        )
    ).first()
    if lead is None:
        lead = add_professional(session, LEAD.who, Role.CARE_TEAM_ADMIN, team_id=team_id)
    return lead.id


def seed(session: Session, patient_ids: Collection[str], now: datetime) -> DemoWorld:
    """Create (or find) the demo team, patients, grants and accounts; the caller commits.

    ``patient_ids`` are the household's; they must be the ones this module knows.
    """
    if set(patient_ids) != set(LABELS):
        raise ConfigError(
            f"the demo household's patients {sorted(patient_ids)} are not the ones the demo "
            f"seeds ({sorted(LABELS)}); update veille/demo_seed.py with the household"
        )
    # `seed_demo` varies sharing by position: the first two share everything with
    # alerts, the third weight only without alerts. The diabetic patient comes in a
    # second call so that their choice is "everything" too.
    world = seed_demo(session, [HEART_FAILURE, HYPERTENSION, SPOUSE], now=now)
    seed_demo(session, [DIABETES], now=now)
    seed_demo(session, [COPD], now=now)
    for patient_id, label in LABELS.items():
        update_patient(session, patient_id, label=label)
    _account(session, NURSE, now, professional_id=world.nurse_id)
    _account(session, PHYSICIAN, now, professional_id=world.physician_id)
    _coordinator(session, now)
    _account(session, LEAD, now, professional_id=_team_lead(session, world.team_id))
    for patient_id, account in PATIENT_ACCOUNTS.items():
        _account(session, account, now, patient_id=patient_id)
    for patient_id in LABELS:
        pair(session, GATEWAY_ID, patient_id, now=now)
    return world
