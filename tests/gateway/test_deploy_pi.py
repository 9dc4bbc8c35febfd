"""The Pi's systemd unit and example settings, checked as shipped."""

from __future__ import annotations

import shlex
import shutil
import subprocess
import tomllib
from pathlib import Path

import pytest

from gateway.settings import GatewaySettings
from veille.cli import build_parser
from veille.mqtt import BrokerSettings

PI = Path(__file__).resolve().parents[2] / "deploy" / "pi"
UNIT = PI / "veille-gateway.service"


def directives() -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    for line in UNIT.read_text().splitlines():
        if "=" in line and not line.startswith(("#", "[")):
            key, _, value = line.partition("=")
            found.setdefault(key.strip(), []).append(value.strip())
    return found


def test_the_unit_is_hardened_and_keeps_its_state() -> None:
    unit = directives()
    for key, value in {
        "User": "veille-gw",
        "NoNewPrivileges": "yes",
        "ProtectSystem": "strict",
        "ProtectHome": "yes",
        "PrivateTmp": "yes",
        "StateDirectory": "veille-gateway",
        "Restart": "on-failure",
        "CapabilityBoundingSet": "",
        "SupplementaryGroups": "bluetooth",
        "RestrictAddressFamilies": "AF_UNIX AF_INET AF_INET6",
    }.items():
        assert unit.get(key) == [value], key
    assert unit["LoadCredential"] == ["broker-password:/etc/veille/credentials/broker-password"]
    assert "VEILLE_BROKER__PASSWORD_FILE=%d/broker-password" in unit["Environment"]
    assert "VEILLE_GATEWAY__DATA_DIR=/var/lib/veille-gateway" in unit["Environment"]


def test_the_command_line_is_one_veille_accepts() -> None:
    command = shlex.split(directives()["ExecStart"][0])
    assert command[0] == "/opt/veille/venv/bin/veille"
    args = build_parser(("gateway.cli",)).parse_args(command[1:])
    assert (args.command, args.gateway_command, args.json_logs) == ("gateway", "run", True)


def test_systemd_reads_every_directive(tmp_path: Path) -> None:
    analyze = shutil.which("systemd-analyze")
    if analyze is None:
        pytest.fail("systemd-analyze is missing (apt install systemd)")
    unit = tmp_path / "veille-gateway.service"
    unit.write_text(UNIT.read_text().replace("/opt/veille/venv/bin/veille", "/bin/true"))
    done = subprocess.run(
        [analyze, "verify", str(unit)], capture_output=True, text=True, timeout=60, check=False
    )
    assert done.returncode == 0, done.stderr
    assert done.stderr.strip() == "", done.stderr


def test_the_example_settings_validate() -> None:
    data = tomllib.loads((PI / "gateway.toml.example").read_text())
    gateway = GatewaySettings.model_validate(data["gateway"])
    broker = BrokerSettings.model_validate(data["broker"])
    assert gateway.ble.backend == "bluez"
    assert broker.endpoint() == ("mqtt.example.org", 8884, True)
