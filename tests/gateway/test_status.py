"""`veille gateway status` on real state files, as the installer at the patient's home reads it."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from gateway.outbox import Outbox
from gateway.pairing import GatewayStore, Remembered
from tests.gateway import household as hh
from tests.support.mosquitto import Mosquitto
from tests.support.waits import wait_until
from veille.cli import main
from wire import topics

#: a wire payload with a health value in it: the status must never print it
PAYLOAD = json.dumps({"metrics": {"weight_kg": 83.7}, "patient": "p-anna"}).encode()
TOPIC = topics.reading("gw-home", "weight")


def configure(
    tmp_path: Path,
    *extra: str,
    broker: str = "mqtt://127.0.0.1:1",
    account: tuple[str, ...] = (),
) -> Path:
    """``extra``: lines of [gateway]; ``account``: lines of [broker] besides the url."""
    config = tmp_path / "veille.toml"
    lines = ["[gateway]", 'id = "gw-home"', f'data_dir = "{tmp_path / "gw"}"', *extra]
    config.write_text("\n".join([*lines, "[broker]", f'url = "{broker}"', *account, ""]))
    return config


def healthy_home(data_dir: Path) -> None:
    """What a gateway leaves behind after a good day: two devices heard from, all acked."""
    store = GatewayStore(data_dir / "gateway.sqlite")
    hh.pair_household(store)
    now = time.time()
    store.remember(Remembered(hh.SCALE, last_seen=now - 3600, battery_pct=81, clock_drift_s=4.0))
    store.remember(Remembered(hh.CUFF, last_seen=now - 7200, battery_pct=55, clock_drift_s=-2820))
    store.remember(Remembered(hh.METER, last_seen=now - 600, battery_pct=None))
    store.close()
    outbox = Outbox(data_dir / "outbox.sqlite")
    outbox.add("r-1", TOPIC, PAYLOAD)
    outbox.acknowledge(["r-1"])
    outbox.close()


def status(config: Path, capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str]:
    code = main(["--config", str(config), "gateway", "status", "--broker-timeout", "0", *args])
    return code, capsys.readouterr().out


def test_a_healthy_home_exits_0_and_lists_each_device(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    healthy_home(tmp_path / "gw")
    code, out = status(configure(tmp_path), capsys)
    assert code == 0, out
    assert out.startswith("gateway gw-home: healthy\n")
    assert (
        f"  {hh.SCALE}  weight_scale  user 1 -> p-anna, user 2 -> p-bert\n"
        "      last seen 60 min ago, battery 81 %, clock +4 s\n"
    ) in out
    assert f"  {hh.CUFF}  blood_pressure  -> p-anna\n      last seen 2 h ago" in out
    assert "battery 55 %, clock -47 min\n" in out
    assert "waiting for the collector's ack: 0 (0 not yet taken by the broker)" in out
    assert "not full (bound 100000)" in out
    assert "broker: not checked" in out
    assert "83.7" not in out


def test_nothing_paired_needs_attention(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    GatewayStore(tmp_path / "gw" / "gateway.sqlite").close()
    Outbox(tmp_path / "gw" / "outbox.sqlite").close()
    code, out = status(configure(tmp_path), capsys)
    assert code == 1
    assert "  ! no device is paired: pair one with `veille pair`" in out


def test_silent_device_full_outbox_and_rejections_in_json(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    data = tmp_path / "gw"
    healthy_home(data)
    store = GatewayStore(data / "gateway.sqlite")
    # the meter has not been heard from for three days; glucose devices are expected daily
    store.remember(Remembered(hh.METER, last_seen=time.time() - 3 * 86400, battery_pct=12))
    store.close()
    outbox = Outbox(data / "outbox.sqlite", max_rows=10)
    for n in range(2, 12):
        outbox.add(f"r-{n}", TOPIC, PAYLOAD)
    outbox.set_aside("r-2", "invalid veille.reading/1 payload: metrics: unknown metric")
    outbox.set_aside("r-3", "invalid veille.reading/1 payload: metrics: unknown metric")
    outbox.add("r-20", TOPIC, PAYLOAD)
    outbox.add("r-21", TOPIC, PAYLOAD)
    outbox.mark_refused("r-4", "broker refused publish: Not authorized (0x87)")
    outbox.close()
    config = configure(tmp_path, "outbox_max_rows = 10", "silent_after_h = { glucose = 24 }")
    code, out = status(config, capsys, "--json")
    assert code == 1
    body = json.loads(out)
    assert body["healthy"] is False
    meter = next(d for d in body["devices"] if d["address"] == hh.METER)
    assert meter["silent"] is True
    assert meter["silent_after_s"] == 24 * 3600
    assert meter["battery_pct"] == 12
    scale = next(d for d in body["devices"] if d["address"] == hh.SCALE)
    assert scale["patients"] == [
        {"user_index": 1, "patient": "p-anna", "consent": None},
        {"user_index": 2, "patient": "p-bert", "consent": None},
    ]
    assert scale["silent"] is False  # the "*" default (48 h) still applies to other drivers
    assert body["outbox"]["pending"] == 10
    assert body["outbox"]["full"] is True
    assert body["outbox"]["refused"] == 1
    assert body["outbox"]["oldest_pending_s"] >= 0
    assert body["outbox"]["set_aside"] == {
        "invalid veille.reading/1 payload: metrics: unknown metric": 2
    }
    problems = "\n".join(body["problems"])
    assert f"{hh.METER} (glucose) not heard from for 3 d (expected within 24 h)" in problems
    assert "the outbox is full (10 of 10)" in problems
    assert "2 reading(s) rejected by the collector" in problems
    assert "1 reading(s) refused by the broker" in problems
    assert "83.7" not in out


def test_a_wrong_data_dir_is_said_and_nothing_is_created(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = configure(tmp_path)
    code = main(["--config", str(config), "gateway", "status", "--data-dir", str(tmp_path / "no")])
    assert code == 2
    assert "no gateway.sqlite in" in capsys.readouterr().err
    assert not (tmp_path / "no").exists()


def test_status_changes_nothing_in_the_files(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    healthy_home(tmp_path / "gw")
    files = sorted((tmp_path / "gw").iterdir())
    before = {path.name: path.read_bytes() for path in files}
    status(configure(tmp_path), capsys)
    after = {path.name: path.read_bytes() for path in sorted((tmp_path / "gw").iterdir())}
    assert after == before


def test_an_unreachable_broker_is_reported_quickly_and_is_not_a_problem(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    healthy_home(tmp_path / "gw")
    started = time.monotonic()
    code = main(
        ["--config", str(configure(tmp_path)), "gateway", "status", "--broker-timeout", "1"]
    )
    out = capsys.readouterr().out
    assert time.monotonic() - started < 5
    assert code == 0
    assert "broker: unreachable (127.0.0.1:1:" in out


@pytest.mark.integration
def test_online_while_the_gateway_runs_offline_after_it_died(
    mosquitto: Mosquitto, tmp_path: Path
) -> None:
    home = tmp_path / "home.toml"
    home.write_text(hh.home(weighings=3))
    config = configure(
        tmp_path,
        "heartbeat_s = 1.0",
        "[gateway.ble]",
        'backend = "simulator"',
        f'household = "{home}"',
        "speed = 600",
        broker=mosquitto.url,
    )
    veille = [sys.executable, "-m", "veille.cli", "--config", str(config)]

    def check() -> tuple[int, dict[str, Any]]:
        done = subprocess.run(
            [*veille, "gateway", "status", "--json"],
            cwd=hh.ROOT,
            capture_output=True,
            text=True,
            timeout=30,
            check=False,
        )
        assert done.returncode in (0, 1, 2), done.stderr
        return done.returncode, json.loads(done.stdout) if done.returncode != 2 else {}

    log = (tmp_path / "gateway.log").open("ab")
    gateway = subprocess.Popen([*veille, "gateway", "run"], cwd=hh.ROOT, stdout=log, stderr=log)
    try:
        # the scale measured and was read (the collector is absent: its readings wait)
        wait_until(
            lambda: check()[1].get("outbox", {"pending": 0})["pending"] == 3,
            timeout=30,
            what="three readings waiting",
        )
        code, body = check()
        assert body["broker"]["state"] == "online"
        assert code == 0
    finally:
        os.kill(gateway.pid, signal.SIGKILL)
        gateway.wait(10)
        log.close()
    code, body = check()
    assert body["broker"]["state"] == "offline"
    assert code == 1
    assert "the broker says this gateway is offline" in str(body["problems"])


def test_a_broker_password_this_user_cannot_read_is_said(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    healthy_home(tmp_path / "gw")
    account = ('username = "gw-home"', 'password_file = "/nonexistent/broker-password"')
    config = configure(tmp_path, account=account)
    code = main(["--config", str(config), "gateway", "status"])
    out = capsys.readouterr().out
    assert code == 0
    assert "broker: not checked (broker.password_file: cannot read it" in out


@pytest.mark.integration
def test_a_broker_refusing_the_account_is_told_apart_from_an_absent_one(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    passwords = tmp_path / "passwords"
    passwords.write_text("")
    subprocess.run(["mosquitto_passwd", "-b", str(passwords), "gw-home", "right"], check=True)
    secret = tmp_path / "broker-password"
    secret.write_text("wrong\n")
    healthy_home(tmp_path / "gw")
    with Mosquitto(tmp_path / "mosquitto", extra_config=f"password_file {passwords}") as broker:
        account = ('username = "gw-home"', f'password_file = "{secret}"')
        config = configure(tmp_path, broker=broker.url, account=account)
        code = main(["--config", str(config), "gateway", "status"])
    out = capsys.readouterr().out
    assert code == 0
    assert f"broker: refused (127.0.0.1:{broker.port}: Not authorized" in out
