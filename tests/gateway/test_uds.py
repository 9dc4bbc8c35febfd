"""Multi-user scales (User Data Service) at the gateway: consent codes kept in the pairing
table, each weighing published under the patient who stepped on, a refused consent shown
by `veille gateway status`, and stores written before the consent columns still open."""

from __future__ import annotations

import asyncio
import sqlite3
from datetime import timedelta
from pathlib import Path

import pytest

from devices.driver import Consent, DeviceInfo, ScaleUser
from devices.reading import Kind, Reading
from devices.sim import UdsScale, VirtualRadio
from gateway.pairing import GatewayStore
from gateway.pairing_cli import register_on_scale
from gateway.service import Gateway
from gateway.status import collect
from tests.gateway import household as hh
from tests.gateway.support import Acker
from tests.gateway.test_household import run_gateway, settings
from tests.support.mosquitto import Mosquitto
from tests.support.waits import eventually
from veille.errors import ConfigError

FAMILY_SCALE = "5C:00:00:00:00:09"


def family_scale() -> UdsScale:
    return UdsScale(FAMILY_SCALE, name="BF600", info=DeviceInfo("Beurer", "BF 600"), linger=0.05)


def test_the_pairing_table_keeps_each_slot_and_its_consent_code(tmp_path: Path) -> None:
    store = GatewayStore(tmp_path / "gateway.sqlite")
    store.pair(FAMILY_SCALE, "p-anna", "weight_scale", 1, consent_code=1234)
    store.pair(FAMILY_SCALE, "p-bert", "weight_scale", 2, consent_code=42)
    store.pair(hh.CUFF, "p-anna", "blood_pressure")
    assert store.scale_users(FAMILY_SCALE) == (ScaleUser(1, 1234), ScaleUser(2, 42))
    assert store.scale_users(hh.CUFF) == ()
    store.record_consents(FAMILY_SCALE, [(1, Consent.GIVEN), (2, Consent.REFUSED)])
    assert [(p.user_index, p.consent) for p in store.pairings() if p.consent] == [
        (1, "given"),
        (2, "refused"),
    ]
    with pytest.raises(ConfigError, match="consent code"):
        store.pair(FAMILY_SCALE, "p-anna", "weight_scale", None, consent_code=1)
    with pytest.raises(ConfigError, match="consent code"):
        store.pair(FAMILY_SCALE, "p-anna", "weight_scale", 3, consent_code=10_000)
    store.close()


def test_a_store_from_before_consent_codes_opens_read_only_and_is_upgraded(tmp_path: Path) -> None:
    path = tmp_path / "gateway.sqlite"
    db = sqlite3.connect(path)
    db.execute(
        "CREATE TABLE pairing (address TEXT NOT NULL, user_slot INTEGER NOT NULL,"
        " patient TEXT NOT NULL, driver TEXT NOT NULL, paired REAL NOT NULL,"
        " PRIMARY KEY (address, user_slot))"
    )
    db.execute("INSERT INTO pairing VALUES (?, 1, 'p-anna', 'weight_scale', 0)", (FAMILY_SCALE,))
    db.commit()
    db.close()
    looked_at = GatewayStore(path, read_only=True)
    assert [p.consent_code for p in looked_at.pairings()] == [None]
    looked_at.close()
    upgraded = GatewayStore(path)
    upgraded.pair(FAMILY_SCALE, "p-anna", "weight_scale", 1, consent_code=7)
    assert upgraded.scale_users(FAMILY_SCALE) == (ScaleUser(1, 7),)
    upgraded.close()


def test_registration_through_the_pairing_command_path(tmp_path: Path) -> None:
    radio = VirtualRadio()
    scale = family_scale()
    radio.add(scale)
    scale.add_user(1111)
    scale.wake()
    index = asyncio.run(
        register_on_scale(
            FAMILY_SCALE,
            2222,
            2.0,
            scanner_backend=radio.scanner_backend,
            client_backend=radio.client_backend,
        )
    )
    assert index == 2
    assert scale.users[2] == 2222


@pytest.mark.integration
def test_two_patients_share_a_scale_and_a_refused_consent_reaches_the_status(
    mosquitto: Mosquitto, tmp_path: Path
) -> None:
    acker = Acker(mosquitto.port)
    data_dir = tmp_path / "gw"

    async def scenario(gateway: Gateway, radio: VirtualRadio) -> None:
        scale = family_scale()
        radio.add(scale)
        anna, bert = scale.add_user(1234), scale.add_user(4321)
        gateway.store.pair(FAMILY_SCALE, "p-anna", "weight_scale", anna, consent_code=1234)
        gateway.store.pair(FAMILY_SCALE, "p-bert", "weight_scale", bert, consent_code=4321)
        now = radio.now()
        scale.weigh(Reading(Kind.WEIGHT, {"weight_kg": 61.5}, time=now), anna)
        scale.weigh(Reading(Kind.WEIGHT, {"weight_kg": 92.0}, time=now), bert)
        await eventually(lambda: len(acker.received) == 2, what="both weighings")
        # Bert's slot is re-registered on the scale by someone else: his code is refused.
        scale.users[bert] = 9999
        later = now + timedelta(hours=1)
        scale.weigh(Reading(Kind.WEIGHT, {"weight_kg": 61.2}, time=later), anna)
        scale.weigh(Reading(Kind.WEIGHT, {"weight_kg": 92.4}, time=later), bert)
        await eventually(lambda: len(acker.received) == 3, what="anna's second weighing")
        await eventually(
            lambda: any(p.consent == "refused" for p in gateway.store.pairings()),
            what="the refusal recorded",
        )
        await eventually(lambda: gateway.outbox.depth().waiting == 0, what="acked")

    gw = settings(data_dir)
    run_gateway(gw, mosquitto, hh.new_radio(), scenario)
    acker.close()
    published = sorted(
        (str(r["patient"]), r["metrics"]["weight_kg"])  # type: ignore[index]
        for r in acker.received
        if r["device"]["address"] == FAMILY_SCALE  # type: ignore[index]
    )
    assert published == [("p-anna", 61.2), ("p-anna", 61.5), ("p-bert", 92.0)]
    report = collect(gw)
    problems = report.problems()
    assert any("user 2 -> p-bert" in p and "refused the consent code" in p for p in problems)
    assert not any("p-anna" in p for p in problems)
