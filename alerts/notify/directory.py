"""Who hears of an alert: `sharing` decides who may, the contacts table says where.

Recipients come from `sharing.recipients.alert_recipients`, asked at each
enqueue and again before each attempt, so a grant revoked a second ago stops
a pending delivery. A care team is reached through its own addresses and the
first person on call; the next ones on call are the escalation ladder.
Device problems go to the patient alone, in the patient's language, and are
also written to the patient's notices (`sharing.notifications.device_notice`).

Contacts are configuration (``[alerts.contacts]``), keyed ``team:<id>``,
``professional:<id>`` or ``patient:<id>``, each a list of addresses.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from datetime import datetime
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session

from alerts.lifecycle import AlertRecord
from alerts.notify.dispatch import Address, Audience, Quiet
from alerts.terms import Category
from sharing.capability import Recipient
from sharing.identities import on_call
from sharing.models import CareTeam, Patient
from sharing.notifications import device_notice
from sharing.recipients import alert_recipients
from sharing.terms import RecipientType

_PROBLEM = re.compile(r"\((?P<problem>[a-z_]+): (?P<detail>[^)]*)\)")


def _key(recipient: Recipient) -> str:
    if recipient.type is RecipientType.CARE_TEAM:
        return f"team:{recipient.team_id}"
    if recipient.type is RecipientType.PROFESSIONAL:
        return f"professional:{recipient.professional_id}"
    return f"patient:{recipient.patient_id}"


class SharingDirectory:
    def __init__(self, contacts: Mapping[str, Sequence[Address]]) -> None:
        self.contacts = {key: tuple(value) for key, value in contacts.items()}

    def _recipients(
        self, session: Session, alert: AlertRecord, now: datetime, *, audit: bool
    ) -> list[Recipient]:
        return alert_recipients(
            session, alert.patient, alert.kind, now, category=alert.category.value, audit=audit
        )

    def audiences(self, session: Session, alert: AlertRecord, now: datetime) -> list[Audience]:
        result = []
        for recipient in self._recipients(session, alert, now, audit=True):
            key = _key(recipient)
            if recipient.type is RecipientType.PATIENT:
                patient = session.get(Patient, recipient.patient_id)
                language = patient.language if patient else "fr"
                addresses = tuple(
                    Address(a.channel, a.target, language) for a in self.contacts.get(key, ())
                )
                if alert.category is Category.DEVICE_PROBLEM and patient is not None:
                    problem, flags = device_problem_of(alert.message)
                    device_notice(session, patient.id, alert.kind, problem, flags, now=now)
                result.append(Audience(key, addresses))
                continue
            if recipient.type is RecipientType.CARE_TEAM and recipient.team_id is not None:
                team = session.get(CareTeam, recipient.team_id)
                ladder = [
                    self.contacts.get(f"professional:{person.id}", ())
                    for person in on_call(session, recipient.team_id)
                ]
                first = ladder[0] if ladder else ()
                quiet = None
                if team is not None and team.quiet_start and team.quiet_end:
                    quiet = Quiet(ZoneInfo(team.time_zone), team.quiet_start, team.quiet_end)
                addresses = self.contacts.get(key, ()) + first
                result.append(Audience(key, addresses, quiet, tuple(ladder[1:])))
                continue
            result.append(Audience(key, self.contacts.get(key, ())))
        return result

    def still_allowed(self, session: Session, alert: AlertRecord, key: str, now: datetime) -> bool:
        recipients = self._recipients(session, alert, now, audit=False)
        return key in {_key(recipient) for recipient in recipients}


def device_problem_of(message: str) -> tuple[str, list[str]]:
    """The problem code and flags the engine wrote in a device-problem message."""
    found = _PROBLEM.search(message)
    if found is None:
        return "other", []
    problem = found["problem"]
    flags = found["detail"].split(",") if problem == "flag" else []
    return problem, flags
