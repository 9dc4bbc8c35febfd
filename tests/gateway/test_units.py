"""Pure parts of the gateway: wire time, pairing rules, settings, BlueZ version, ack parsing."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from devices.reading import Kind, Reading
from gateway.ble import bluez_problem
from gateway.pairing import GatewayStore
from gateway.settings import GatewaySettings, load
from gateway.timing import wire_time
from veille.errors import ConfigError
from wire.ack import Ack
from wire.errors import PayloadError

PARIS = ZoneInfo("Europe/Paris")
RECEIVED = datetime(2026, 7, 1, 10, 0, tzinfo=UTC)


def weighing(when: datetime | None, flags: tuple[str, ...] = ()) -> Reading:
    return Reading(Kind.WEIGHT, {"weight_kg": 70.0}, time=when, flags=flags)


@pytest.mark.parametrize(
    ("device_time", "expected"),
    [
        (datetime(2026, 7, 1, 11, 30), datetime(2026, 7, 1, 9, 30, tzinfo=UTC)),  # CEST
        (datetime(2026, 1, 15, 8, 0), datetime(2026, 1, 15, 7, 0, tzinfo=UTC)),  # CET
        (datetime(2026, 3, 29, 3, 30), datetime(2026, 3, 29, 1, 30, tzinfo=UTC)),  # after 02:00
    ],
    ids=["summer", "winter", "spring-forward-day"],
)
def test_device_time_is_read_in_the_gateway_zone(device_time: datetime, expected: datetime) -> None:
    when, flags = wire_time(weighing(device_time), RECEIVED, PARIS)
    assert when == expected
    assert flags == ()


@pytest.mark.parametrize(
    "device_time",
    [datetime(2026, 7, 1, 13, 0), datetime(2000, 1, 1, 0, 0)],
    ids=["in-the-future", "never-set"],
)
def test_an_impossible_device_time_gives_the_receive_time_and_a_flag(
    device_time: datetime,
) -> None:
    when, flags = wire_time(weighing(device_time), RECEIVED, PARIS)
    assert when == RECEIVED
    assert flags == ("device_clock_unreliable",)


def test_a_reading_the_driver_flagged_unreliable_is_timed_on_receipt() -> None:
    flagged = weighing(datetime(2025, 1, 1, 8, 0), flags=("device_clock_unreliable",))
    assert wire_time(flagged, RECEIVED, PARIS) == (RECEIVED, ("device_clock_unreliable",))
    assert wire_time(weighing(None), RECEIVED, PARIS) == (RECEIVED, ())


def test_pairing_rules_never_guess_a_patient(tmp_path: Path) -> None:
    store = GatewayStore(tmp_path / "g.sqlite")
    store.pair("aa:bb:cc:dd:ee:01", "p-1", "weight_scale")
    store.pair("AA:BB:CC:DD:EE:02", "p-2", "weight_scale", user_index=1)
    store.pair("AA:BB:CC:DD:EE:02", "p-3", "weight_scale", user_index=2)
    assert store.patient_for("AA:BB:CC:DD:EE:01", 4) == ("p-1", "")
    assert store.patient_for("AA:BB:CC:DD:EE:02", 2) == ("p-3", "")
    assert store.patient_for("AA:BB:CC:DD:EE:02", 3)[0] is None
    assert store.patient_for("AA:BB:CC:DD:EE:02", None)[0] is None
    assert store.patient_for("AA:BB:CC:DD:EE:09", 1) == (None, "device not paired")
    assert store.remove("aa:bb:cc:dd:ee:02") == 2
    assert [p.address for p in store.pairings()] == ["AA:BB:CC:DD:EE:01"]
    store.close()


def test_settings_from_file_and_environment_without_printing_secrets(tmp_path: Path) -> None:
    secret = tmp_path / "password"
    secret.write_text("hunter2-very-secret\n")
    config = tmp_path / "veille.toml"
    config.write_text(
        '[gateway]\nid = "gw-1"\ntimezone = "America/Montreal"\n'
        f'[broker]\nurl = "mqtts://broker:8884"\nusername = "gw-1"\npassword_file = "{secret}"\n'
    )
    env = {"VEILLE_GATEWAY__MAX_CONNECTIONS": "3", "VEILLE_GATEWAY__DATA_DIR": str(tmp_path)}
    gateway, broker = load(config, env)
    assert (gateway.id, gateway.max_connections, gateway.data_dir) == ("gw-1", 3, tmp_path)
    assert broker.password() == "hunter2-very-secret"
    assert "hunter2" not in repr(gateway) + repr(broker) + broker.model_dump_json()


@pytest.mark.parametrize(
    ("values", "message"),
    [
        ({}, "id"),
        ({"id": "gw 1"}, "id"),
        ({"id": "gw-1", "timezone": "Mars/Olympus"}, "time zone"),
        ({"id": "gw-1", "ble": {"backend": "simulator"}}, "household"),
    ],
    ids=["missing-id", "bad-id", "bad-zone", "simulator-without-household"],
)
def test_settings_that_cannot_work_say_which_key(
    tmp_path: Path, values: dict[str, object], message: str
) -> None:
    config = tmp_path / "veille.toml"
    lines = ["[gateway]"] + [
        f"{k} = {v!r}".replace("'", '"') for k, v in values.items() if k != "ble"
    ]
    if "ble" in values:
        lines += ["[gateway.ble]", 'backend = "simulator"']
    config.write_text("\n".join(lines) + "\n")
    with pytest.raises(ConfigError, match=message):
        load(config, {})


def test_default_outbox_bound_holds_30_days_of_a_busy_household() -> None:
    settings = GatewaySettings(id="gw-1")
    busy_day = 5 * 20  # five devices, twenty readings each, every day
    assert settings.outbox_max_rows >= 30 * busy_day + 5 * 1000  # plus full meter memories


@pytest.mark.parametrize(
    ("output", "problem"),
    [
        ("5.50", True),
        ("bluetoothctl: 5.43", True),
        ("5.55", False),
        ("5.66", False),
        ("", False),
    ],
)
def test_a_bluez_too_old_is_refused_with_what_to_do(output: str, problem: bool) -> None:
    found = bluez_problem(output)
    assert (found is not None) is problem
    if found:
        assert "5.55 or later" in found
        assert "apt" in found


def test_acks_follow_the_collector_contract_and_bad_ones_are_refused() -> None:
    ack = Ack.decode(
        b'{"schema": "veille.ack/1", "ids": ["a1"], "rejected": [{"id": "b2", "reason": "x"}]}'
    )
    assert ack.ids == ["a1"]
    assert [(r.id, r.reason) for r in ack.rejected] == [("b2", "x")]
    with pytest.raises(PayloadError, match="schema"):
        Ack.decode(b'{"schema": "veille.ack/2", "ids": []}')
    with pytest.raises(PayloadError):
        Ack.decode(b"not json")
