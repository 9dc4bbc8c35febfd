"""What the pages show, computed from sharing, alerts and the store for one capability.

No HTTP here and no permission decision: every function takes the
`Capability` that `web.deps` obtained and shows what `sharing.visibility` lets it.
The triage list's rows are `web.triage_list`'s.
"""

from __future__ import annotations

from sqlalchemy.orm import Session

from alerts.inbox import alerts_for
from alerts.lifecycle import AlertRecord
from alerts.terms import Status
from sharing.capability import Capability
from sharing.visibility import visible_alerts


def patient_alerts(session: Session, cap: Capability) -> list[AlertRecord]:
    everything = alerts_for(session, [cap.patient_id], statuses=tuple(Status), limit=500)
    return visible_alerts(everything, cap)
