"""Random sharing histories: `authorize` and `alert_recipients` agree with a plain-words oracle.

The oracle is the rule as the patient would state it: "someone sees a kind
only while a grant to them (or their team) covers it, has not ended and was
not revoked; alerts also need the grant's alerts switch".
"""

from __future__ import annotations

import tempfile
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

import sharing.models  # noqa: F401
from devices.reading import Kind
from sharing.access import authorize, authorize_many
from sharing.capability import ProfessionalUser
from sharing.grants import create_grant, revoke_grant
from sharing.identities import add_patient, add_professional, add_team
from sharing.recipients import alert_recipients
from sharing.terms import Purpose, RecipientType, Role
from tests.sharing.conftest import NOW
from veille.db import create_schema, make_engine, session_factory
from veille.errors import NotAllowed

KINDS = [Kind.WEIGHT, Kind.BLOOD_PRESSURE, Kind.GLUCOSE]


@dataclass(frozen=True)
class GrantSpec:
    to_team: bool  # team 1, else professional 2 (who is in no team)
    kinds: frozenset[Kind]
    alerts: bool
    days: int  # ends NOW + days
    revoked_after_hours: int | None


grant_specs = st.builds(
    GrantSpec,
    to_team=st.booleans(),
    kinds=st.frozensets(st.sampled_from(KINDS), min_size=1),
    alerts=st.booleans(),
    days=st.integers(min_value=1, max_value=20),
    revoked_after_hours=st.one_of(st.none(), st.integers(min_value=0, max_value=400)),
)


def oracle(
    specs: list[GrantSpec], member_of_team: bool, kind: Kind, hours: int, alerts: bool
) -> bool:
    for spec in specs:
        mine = spec.to_team == member_of_team
        live = hours < spec.days * 24 and (
            spec.revoked_after_hours is None or hours < spec.revoked_after_hours
        )
        if mine and live and kind in spec.kinds and (spec.alerts or not alerts):
            return True
    return False


@settings(max_examples=40, deadline=None)
@given(
    specs=st.lists(grant_specs, max_size=4),
    kind=st.sampled_from(KINDS),
    hours=st.integers(min_value=0, max_value=500),
)
def test_decisions_match_the_rule_in_plain_words(
    specs: list[GrantSpec], kind: Kind, hours: int
) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        engine = make_engine(f"sqlite:///{Path(tmp) / 'p.db'}")
        create_schema(engine)
        factory = session_factory(engine)
        with factory() as s:
            add_patient(s, "p-1", now=NOW)
            team = add_team(s, "T")
            nurse = add_professional(s, "N", Role.NURSE, team_id=team.id)
            gp = add_professional(s, "G", Role.PHYSICIAN)
            for spec in specs:
                grant = create_grant(
                    s,
                    "p-1",
                    team_id=team.id if spec.to_team else None,
                    professional_id=None if spec.to_team else gp.id,
                    kinds=spec.kinds,
                    alerts=spec.alerts,
                    ends_at=NOW + timedelta(days=spec.days),
                    now=NOW,
                )
                if spec.revoked_after_hours is not None:
                    at = NOW + timedelta(hours=spec.revoked_after_hours)
                    revoke_grant(s, grant.id, patient_id="p-1", now=at)
            s.commit()
        now = NOW + timedelta(hours=hours)
        for who, in_team in ((nurse.id, True), (gp.id, False)):
            for purpose in (Purpose.VIEW, Purpose.ALERT):
                expected = oracle(specs, in_team, kind, hours, purpose is Purpose.ALERT)
                with factory() as s:
                    try:
                        authorize(s, ProfessionalUser(who), "p-1", kind, purpose, now)
                        allowed = True
                    except NotAllowed:
                        allowed = False
                assert allowed == expected, (who, purpose)
        # the triage batch (live grants only, loaded in SQL) agrees with the single decision
        with factory() as s:
            listed = "p-1" in authorize_many(
                s, ProfessionalUser(nurse.id), ["p-1"], Purpose.TRIAGE, now
            )
        assert listed == any(oracle(specs, True, k, hours, False) for k in KINDS)
        with factory() as s:
            got = {r.type for r in alert_recipients(s, "p-1", kind, now, audit=False)}
        want = {RecipientType.CARE_TEAM} if oracle(specs, True, kind, hours, True) else set()
        if oracle(specs, False, kind, hours, True):
            want.add(RecipientType.PROFESSIONAL)
        assert got == want
        engine.dispose()
