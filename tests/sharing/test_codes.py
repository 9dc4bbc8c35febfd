"""Temporary access codes: create, redeem, wrong code, lockout, expiry, uses, revocation."""

from __future__ import annotations

import re
import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from devices.reading import Kind
from sharing import ratelimit
from sharing.access import authorize
from sharing.capability import CodeBearer, CodeRedemption
from sharing.codes import (
    codes_for_patient,
    create_code,
    digest,
    normalise,
    redeem_code,
    revoke_code,
)
from sharing.errors import InvalidRequest
from sharing.models import AccessCode, CodeSession
from sharing.notifications import notifications_for_patient
from sharing.policy import ALPHABET, CodePolicy
from sharing.terms import Purpose, Reason, Via
from tests.sharing.conftest import NOW, World, audit_rows, later
from veille.errors import NotAllowed

CODE_FORMAT = re.compile(rf"^[{ALPHABET}]{{4}}-[{ALPHABET}]{{4}}$")


def new_code(factory: sessionmaker[Session], patient: str, **kw: object) -> str:
    args: dict[str, object] = {"kinds": [Kind.WEIGHT, Kind.BLOOD_PRESSURE], "now": NOW}
    args.update(kw)
    with factory() as s:
        made = create_code(s, patient, **args)  # type: ignore[arg-type]
        s.commit()
    return made.code


def redeem(factory: sessionmaker[Session], code: str, **kw: object) -> CodeRedemption:
    args: dict[str, object] = {
        "source": "203.0.113.7",
        "now": later(minutes=5),
        "declared_name": "Dr Lee",
    }
    args.update(kw)
    with factory() as s:
        return redeem_code(s, code, **args)  # type: ignore[arg-type]


def redeem_refused(factory: sessionmaker[Session], code: str, **kw: object) -> str:
    with pytest.raises(NotAllowed) as caught:
        redeem(factory, code, **kw)
    return caught.value.reason


def test_code_is_short_readable_random_and_stored_hashed(
    factory: sessionmaker[Session], world: World
) -> None:
    codes = {new_code(factory, world.alice) for _ in range(20)}
    assert len(codes) == 20
    assert all(CODE_FORMAT.match(c) for c in codes), codes
    with factory() as s:
        stored = s.scalars(select(AccessCode.code_hash)).all()
    assert len(stored) == 20
    for code in codes:
        assert code.replace("-", "") not in "".join(stored)
        assert digest(normalise(code)) in stored


def test_redeem_gives_read_only_capability_on_chosen_kinds(
    factory: sessionmaker[Session], world: World
) -> None:
    code = new_code(factory, world.alice, label="pharmacie")
    got = redeem(factory, code.lower().replace("-", " "))  # as typed by a hurried person
    assert got.capability.patient_id == world.alice
    assert got.capability.kinds == {Kind.WEIGHT, Kind.BLOOD_PRESSURE}
    assert got.capability.via is Via.CODE
    assert got.capability.expires_at == later(minutes=65)  # the short session, not the code's 24 h
    assert got.token not in repr(got)
    bearer = CodeBearer(got.token)
    with factory() as s:
        cap = authorize(s, bearer, world.alice, Kind.WEIGHT, Purpose.VIEW, later(minutes=10))
    assert cap.via is Via.CODE
    # not glucose, not another patient, never alerts
    for kind, patient, purpose, reason in [
        (Kind.GLUCOSE, world.alice, Purpose.VIEW, Reason.KIND_NOT_GRANTED),
        (Kind.WEIGHT, world.bob, Purpose.VIEW, Reason.OTHER_PATIENT),
        (Kind.WEIGHT, world.alice, Purpose.ALERT, Reason.PURPOSE_NOT_ALLOWED),
    ]:
        with factory() as s, pytest.raises(NotAllowed) as caught:
            authorize(s, bearer, patient, kind, purpose, later(minutes=11))
        assert caught.value.reason == reason
    # the session is short: after an hour, redeem again
    with factory() as s, pytest.raises(NotAllowed) as caught:
        authorize(s, bearer, world.alice, Kind.WEIGHT, Purpose.VIEW, later(minutes=66))
    assert caught.value.reason == Reason.CODE_SESSION_EXPIRED
    # the patient sees who used the code, in their language
    with factory() as s:
        [view] = codes_for_patient(s, world.alice, now=later(minutes=6))
        notices = notifications_for_patient(s, world.alice, lang="fr")
    assert view.uses == 1
    assert view.used_by == ((later(minutes=5), "Dr Lee"),)
    assert view.label == "pharmacie"
    assert [n.text for n in notices] == [
        "Votre code d'accès a été utilisé le 2026-03-28 10:05 par Dr Lee."
    ]
    # the bob refusal was written to bob's log (his data was asked for), alice's log has the rest
    assert [r.reason for r in audit_rows(factory, world.bob)] == ["other_patient"]


def test_wrong_code_is_refused_and_counted(factory: sessionmaker[Session], world: World) -> None:
    new_code(factory, world.alice)
    assert redeem_refused(factory, "ABCD-EFGH") == Reason.CODE_UNKNOWN
    assert redeem_refused(factory, "not a code at all!") == Reason.CODE_UNKNOWN
    assert redeem_refused(factory, "") == Reason.CODE_UNKNOWN


def test_guessing_locks_the_source_out_even_for_the_right_code(
    factory: sessionmaker[Session], world: World
) -> None:
    policy = CodePolicy(
        source_failures=5, global_failures=1000, failure_window=timedelta(minutes=15)
    )
    code = new_code(factory, world.alice, policy=policy)
    attacker = "198.51.100.9"
    for i in range(5):
        assert (
            redeem_refused(
                factory,
                f"ZZZZ-ZZZ{ALPHABET[i]}",
                source=attacker,
                now=later(minutes=i),
                policy=policy,
            )
            == Reason.CODE_UNKNOWN
        )
    # locked: the right code is refused too, so a lockout reveals nothing
    assert (
        redeem_refused(factory, code, source=attacker, now=later(minutes=5), policy=policy)
        == Reason.RATE_LIMITED
    )
    # another source is not affected
    redeem(factory, code, source="192.0.2.1", now=later(minutes=5), policy=policy)
    # when the failures leave the 15-minute window, the source may try again
    assert (
        redeem_refused(
            factory, code, source=attacker, now=later(minutes=14, seconds=59), policy=policy
        )
        == Reason.RATE_LIMITED
    )
    redeem(factory, code, source=attacker, now=later(minutes=15, seconds=1), policy=policy)


def test_guessing_from_many_sources_locks_everyone(
    factory: sessionmaker[Session], world: World
) -> None:
    policy = CodePolicy(source_failures=5, global_failures=12, failure_window=timedelta(minutes=15))
    code = new_code(factory, world.alice, policy=policy)
    for i in range(12):
        redeem_refused(
            factory, "ZZZZ-ZZZZ", source=f"10.0.0.{i}", now=later(minutes=1), policy=policy
        )
    assert (
        redeem_refused(factory, code, source="192.0.2.1", now=later(minutes=2), policy=policy)
        == Reason.RATE_LIMITED
    )
    redeem(factory, code, source="192.0.2.1", now=later(minutes=17), policy=policy)


def test_code_expires(factory: sessionmaker[Session], world: World) -> None:
    code = new_code(factory, world.alice, ttl=timedelta(hours=2))
    got = redeem(factory, code, now=later(hours=1, minutes=30))
    # the session never outlives the code
    assert got.capability.expires_at == later(hours=2)
    with factory() as s, pytest.raises(NotAllowed) as caught:
        authorize(s, CodeBearer(got.token), world.alice, Kind.WEIGHT, Purpose.VIEW, later(hours=2))
    assert caught.value.reason == Reason.CODE_EXPIRED
    assert redeem_refused(factory, code, now=later(hours=2)) == Reason.CODE_EXPIRED
    refusals = [r for r in audit_rows(factory, world.alice) if r.result == "refused"]
    assert [(r.event, r.reason) for r in refusals] == [
        ("access", "code_expired"),
        ("code_redeemed", "code_expired"),
    ]


def test_code_use_limit(factory: sessionmaker[Session], world: World) -> None:
    code = new_code(factory, world.alice, max_uses=2)
    redeem(factory, code)
    redeem(factory, code)
    assert redeem_refused(factory, code) == Reason.CODE_EXHAUSTED
    with factory() as s:
        assert s.scalars(select(AccessCode.uses)).one() == 2
        assert len(s.scalars(select(CodeSession)).all()) == 2
        [view] = codes_for_patient(s, world.alice, now=later(minutes=6))
    assert view.status == "exhausted"


def test_revoking_a_code_stops_its_sessions_at_once(
    factory: sessionmaker[Session], world: World
) -> None:
    code = new_code(factory, world.alice)
    got = redeem(factory, code)
    with factory() as s:
        [view] = codes_for_patient(s, world.alice, now=later(minutes=6))
        with pytest.raises(NotAllowed):
            revoke_code(s, view.id, patient_id=world.bob, now=later(minutes=6))
        revoke_code(s, view.id, patient_id=world.alice, now=later(minutes=6))
        s.commit()
    with factory() as s, pytest.raises(NotAllowed) as caught:
        authorize(
            s, CodeBearer(got.token), world.alice, Kind.WEIGHT, Purpose.VIEW, later(minutes=6)
        )
    assert caught.value.reason == Reason.CODE_REVOKED
    assert redeem_refused(factory, code, now=later(minutes=7)) == Reason.CODE_REVOKED


def test_unknown_bearer_token_is_refused(factory: sessionmaker[Session], world: World) -> None:
    with factory() as s, pytest.raises(NotAllowed) as caught:
        authorize(s, CodeBearer("forged"), world.alice, Kind.WEIGHT, Purpose.VIEW, NOW)
    assert caught.value.reason == Reason.CODE_UNKNOWN
    assert [r.reason for r in audit_rows(factory, world.alice)] == ["code_unknown"]


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"kinds": []}, "at least one kind"),
        ({"ttl": timedelta(days=31)}, "at most 30 days"),
        ({"ttl": timedelta(0)}, "more than 0"),
        ({"max_uses": 0}, "from 1 to"),
        ({"max_uses": 21}, "from 1 to"),
    ],
    ids=["no-kind", "too-long", "zero-ttl", "zero-uses", "too-many-uses"],
)
def test_code_requests_that_break_a_rule(
    factory: sessionmaker[Session], world: World, kwargs: dict[str, object], message: str
) -> None:
    with pytest.raises(InvalidRequest, match=message):
        new_code(factory, world.alice, **kwargs)


def test_lockout_says_when_to_retry_and_old_attempts_can_be_purged(
    factory: sessionmaker[Session], world: World
) -> None:
    policy = CodePolicy(
        source_failures=2, global_failures=1000, failure_window=timedelta(minutes=15)
    )
    for minute in (0, 4):
        redeem_refused(factory, "ZZZZ-ZZZZ", source="x", now=later(minutes=minute), policy=policy)
    # the failure at minute 0 leaves the window at minute 15: 10 minutes from minute 5
    with pytest.raises(NotAllowed, match="try again in 601 s"):
        redeem(factory, "ZZZZ-ZZZZ", source="x", now=later(minutes=5), policy=policy)
    with factory() as s:
        assert ratelimit.forget_before(s, later(minutes=1)) == 1
        s.commit()
        assert not ratelimit.locked_out(s, "x", later(minutes=5), policy)


def test_the_last_use_is_spent_once_under_concurrent_redemptions(
    factory: sessionmaker[Session], world: World
) -> None:
    code = new_code(factory, world.alice, max_uses=1)
    start = threading.Barrier(6)

    def attempt(i: int) -> str:
        start.wait()
        try:
            redeem(factory, code, source=f"192.0.2.{i}")
        except NotAllowed as refused:
            return refused.reason
        return "redeemed"

    with ThreadPoolExecutor(max_workers=6) as pool:
        outcomes = sorted(pool.map(attempt, range(6)))
    assert outcomes == ["code_exhausted"] * 5 + ["redeemed"]
    with factory() as s:
        assert s.scalars(select(AccessCode.uses)).one() == 1
        assert len(s.scalars(select(CodeSession)).all()) == 1
