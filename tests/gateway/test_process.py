"""`veille gateway run` as a real process on a simulated home: kill -9 mid-publish, pairing CLI."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from datetime import datetime, timedelta
from pathlib import Path

import pytest

from devices.envelope import reading_id
from devices.reading import Kind
from devices.sim.household import Household
from tests.gateway import household as hh
from tests.gateway.support import Acker
from tests.support.mosquitto import Mosquitto
from tests.support.processes import stop
from tests.support.waits import wait_until

pytestmark = pytest.mark.integration


def configure(tmp_path: Path, broker_url: str) -> Path:
    home = tmp_path / "home.toml"
    home.write_text(hh.home(weighings=20, stored=300))  # the load test: a long download
    config = tmp_path / "veille.toml"
    config.write_text(
        "\n".join(
            [
                "[gateway]",
                'id = "gw-proc"',
                f'data_dir = "{tmp_path / "gw"}"',
                "republish_after_s = 2.0",
                "heartbeat_s = 1.0",
                "reconnect_after_s = 1.0",
                "retry_after_s = 0.2",
                "[gateway.ble]",
                'backend = "simulator"',
                f'household = "{home}"',
                "speed = 600",
                "[broker]",
                f'url = "{broker_url}"',
                "",
            ]
        )
    )
    return config


def veille(config: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "veille.cli", "--config", str(config), *args],
        cwd=hh.ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def spawn_gateway(config: Path, log: Path) -> subprocess.Popen[bytes]:
    with log.open("ab") as out:
        return subprocess.Popen(
            [sys.executable, "-m", "veille.cli", "--config", str(config), "gateway", "run"],
            cwd=hh.ROOT,
            stdout=out,
            stderr=out,
        )


def expected_ids() -> set[str]:
    start = datetime(2026, 1, 5)
    glucose = {
        reading_id(hh.METER, Kind.GLUCOSE, sequence=n, device_time=None, user_index=None)
        for n in range(1, 301)
    }
    weights = {
        reading_id(
            hh.SCALE,
            Kind.WEIGHT,
            sequence=None,
            device_time=start + timedelta(minutes=k),
            user_index=1,
        )
        for k in range(1, 21)
    }
    return glucose | weights


def test_pair_list_and_remove_from_the_command_line(tmp_path: Path) -> None:
    config = configure(tmp_path, "mqtt://127.0.0.1:1")
    done = veille(
        config, "pair", hh.SCALE, "--patient", "p-anna", "--driver", "weight_scale", "--user", "1"
    )
    assert done.returncode == 0, done.stderr
    assert "p-anna" in done.stdout
    unknown = veille(config, "pair", hh.CUFF, "--patient", "p-anna", "--driver", "no_such")
    assert unknown.returncode == 2
    assert "no_such" in unknown.stderr
    listed = veille(config, "pair", "--list")
    assert f"{hh.SCALE}  weight_scale       user 1     -> p-anna" in listed.stdout
    assert veille(config, "pair", "--remove", hh.SCALE.lower()).returncode == 0
    assert veille(config, "pair", "--list").stdout == ""


def test_kill_9_during_publishing_then_restart_every_reading_once(
    mosquitto: Mosquitto, tmp_path: Path
) -> None:
    config = configure(tmp_path, mosquitto.url)
    for address, driver in ((hh.METER, "glucose"), (hh.SCALE, "weight_scale")):
        paired = veille(config, "pair", address, "--patient", "p-anna", "--driver", driver)
        assert paired.returncode == 0, paired.stderr
    data = tmp_path / "server"
    log = tmp_path / "gateway.log"
    watcher = Acker(mosquitto.port, ack=False)
    with hh.collector(data, mosquitto.url, tmp_path / "collector.log", gateway="gw-proc"):
        first = spawn_gateway(config, log)
        try:
            wait_until(lambda: len(hh.stored_ids(data)) >= 40, timeout=60, what="some stored")
        finally:
            os.kill(first.pid, signal.SIGKILL)
            first.wait(10)
        # the broker saw the socket die: the last will says offline (retained)
        wait_until(lambda: watcher.status[-1]["state"] == "offline", what="last will")
        watcher.close()
        killed_at = len(hh.stored_ids(data))
        assert killed_at < 320, "the kill came too late to test anything"
        second = spawn_gateway(config, log)
        try:
            wait_until(
                lambda: len(hh.stored_ids(data)) >= 320,
                timeout=90,
                what=f"all 320 stored ({log.read_text()[-2000:]})",
            )
        finally:
            stop(second, grace_s=15)
        assert second.returncode == 0
    ids = hh.stored_ids(data)
    assert len(ids) == len(set(ids))
    assert set(ids) == expected_ids()


def test_a_configuration_that_cannot_work_is_refused_with_the_key(tmp_path: Path) -> None:
    config = tmp_path / "veille.toml"
    config.write_text('[gateway]\ntimezone = "Europe/Paris"\n')
    done = veille(config, "gateway", "run")
    assert done.returncode == 2
    assert "[gateway] id" in done.stderr


def test_gateway_run_on_the_demo_household(mosquitto: Mosquitto, tmp_path: Path) -> None:
    """The devices package's household file: its pairings recorded, its readings stored."""
    household = hh.ROOT / "devices/sim/households/demo.toml"
    patients = Household.load(household).patients
    config = tmp_path / "veille.toml"
    config.write_text(
        "\n".join(
            [
                "[gateway]",
                'id = "gw-demo"',
                f'data_dir = "{tmp_path / "gw"}"',
                "reconnect_after_s = 1.0",
                "[gateway.ble]",
                'backend = "simulator"',
                f'household = "{household}"',
                "speed = 43200",
                "[broker]",
                f'url = "{mosquitto.url}"',
                "",
            ]
        )
    )
    data = tmp_path / "server"
    log = tmp_path / "gateway.log"
    collector_log = tmp_path / "collector.log"
    with hh.collector(data, mosquitto.url, collector_log, gateway="gw-demo", patients=patients):
        gateway = spawn_gateway(config, log)
        try:
            wait_until(
                lambda: (
                    len({p for p, _k, _w in hh.stored(data)}) >= 3 if hh.stored_ids(data) else False
                ),
                timeout=60,
                what=f"readings of three patients ({log.read_text()[-1500:]})",
            )
        finally:
            stop(gateway, grace_s=15)
    listed = veille(config, "pair", "--list").stdout
    assert "C4:7C:8D:6A:10:01  weight_scale       user 2     -> p-b41d" in listed
