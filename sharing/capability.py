"""Who asks (accessors) and what they get (capabilities, alert recipients).

These are the values other packages hold: the web turns a signed-in account
into an accessor, passes it to `sharing.access.authorize`, and hands the
route the returned `Capability`. A capability is valid for the request that
obtained it; the next request asks again, which is how revocation takes
effect at once.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from devices.reading import Kind
from sharing.terms import Purpose, RecipientType, Via


@dataclass(frozen=True, slots=True)
class PatientSelf:
    """A signed-in patient; reads of their own data are allowed and not audited."""

    patient_id: str


@dataclass(frozen=True, slots=True)
class ProfessionalUser:
    """A signed-in professional (nurse, physician, team admin)."""

    professional_id: int


@dataclass(frozen=True, slots=True)
class CodeBearer:
    """Whoever holds the bearer token a redeemed access code returned.

    The token is kept out of ``repr`` so it never reaches a log line.
    """

    token: str = field(repr=False)


Accessor = PatientSelf | ProfessionalUser | CodeBearer


@dataclass(frozen=True, slots=True)
class Capability:
    """What one request may read: this patient, these kinds, for this purpose.

    ``expires_at`` is the earliest moment one of the things it rests on ends
    (None for a patient's own data). ``ref_id`` is the grant, code session or
    break-glass id behind it.
    """

    patient_id: str
    kinds: frozenset[Kind]
    accessor: Accessor
    purpose: Purpose
    via: Via
    expires_at: datetime | None
    ref_id: int | None = None

    def allows(self, kind: Kind) -> bool:
        return kind in self.kinds


@dataclass(frozen=True, slots=True)
class CodeRedemption:
    """What redeeming a code returns: a bearer token (show once) and its capability."""

    token: str = field(repr=False)
    capability: Capability


@dataclass(frozen=True, slots=True)
class Recipient:
    """Someone an alert about ``patient_id`` may go to, and the grant that allows it.

    A care team recipient is expanded to people by the alerts engine (see
    `sharing.identities.on_call`). ``grant_id`` is None for the patient.
    """

    type: RecipientType
    patient_id: str
    team_id: int | None = None
    professional_id: int | None = None
    grant_id: int | None = None
