"""The `[gateway]` section: who this gateway is, where it keeps its state, how hard it tries.

The broker section is `veille.mqtt.BrokerSettings` (shared with the collector).
Secrets are never fields here: the broker password comes from a file named in
`[broker] password_file` (a systemd credential on the Pi), so printing the
settings can never print a secret.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Annotated, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from veille.config import load_section
from veille.mqtt import BrokerSettings

GatewayId = Annotated[str, Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_.:-]+$")]


class BleSettings(BaseModel):
    """The radio: BlueZ on a Pi, or the simulator's virtual radio for tests and demos."""

    model_config = ConfigDict(extra="forbid")

    backend: Literal["bluez", "simulator"] = "bluez"
    #: simulator only: the household TOML describing the virtual devices
    household: Path | None = None
    #: BlueZ adapter (hci0, ...); None lets bleak choose
    adapter: str | None = None
    #: simulator only: world seconds per real second
    speed: float = Field(default=60.0, gt=0)

    @model_validator(mode="after")
    def _household_for_simulator(self) -> BleSettings:
        if self.backend == "simulator" and self.household is None:
            raise ValueError("ble.backend = 'simulator' needs ble.household (a household TOML)")
        return self


class GatewaySettings(BaseModel):
    """Everything `veille gateway run` needs besides the broker."""

    model_config = ConfigDict(extra="forbid")

    id: GatewayId
    data_dir: Path = Path("/var/lib/veille-gateway")
    #: the zone the devices' clocks are set in (device time is naive)
    timezone: str = "Europe/Paris"
    max_connections: int = Field(default=2, ge=1, le=8)
    connect_attempts: int = Field(default=3, ge=1, le=10)
    #: an unacked reading is published again after this long
    republish_after_s: float = Field(default=120.0, gt=0)
    #: at most this many republished readings per second (a backlog drains gently)
    republish_per_s: float = Field(default=50.0, gt=0)
    #: QoS 1 publishes waiting for PUBACK at once
    max_inflight: int = Field(default=100, ge=1, le=65535)
    #: rows the outbox holds before it refuses new readings (30 days of a busy household
    #: is ~ 5 devices x 10 readings x 30 = 1,500; glucose meters dump up to 1,000 each)
    outbox_max_rows: int = Field(default=100_000, ge=10)
    heartbeat_s: float = Field(default=60.0, gt=0)
    #: restart a scan that has reported nothing for this long (a hung BlueZ discovery)
    scan_watchdog_s: float = Field(default=300.0, gt=0)
    #: a device seen again within this long is not reconnected (it just sent its data)
    reconnect_after_s: float = Field(default=20.0, ge=0)
    #: after a failed session, the first retry waits this long (then doubles)
    retry_after_s: float = Field(default=2.0, ge=0)
    #: drift above which the gateway sets the device clock (when it can)
    clock_set_above_s: float = Field(default=60.0, ge=0)
    #: drift above which the device clock is not believed for measurement times
    clock_unreliable_above_s: float = Field(default=3600.0, gt=0)
    #: `veille gateway status` flags a paired device not heard from for longer (hours), by
    #: driver name, "*" for the others: devices used daily, one missed day tolerated
    silent_after_h: dict[str, Annotated[float, Field(gt=0)]] = Field(
        default_factory=lambda: {"*": 48.0}
    )
    ble: BleSettings = Field(default_factory=BleSettings)

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError) as err:
            raise ValueError(f"unknown time zone {value!r} (use an IANA name)") from err
        return value

    def silent_after_s(self, driver: str) -> float:
        """How long a device of ``driver`` may stay silent before someone should look."""
        return 3600 * self.silent_after_h.get(driver, self.silent_after_h.get("*", 48.0))

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    @property
    def outbox_path(self) -> Path:
        return self.data_dir / "outbox.sqlite"

    @property
    def pairing_path(self) -> Path:
        return self.data_dir / "gateway.sqlite"


def load(
    path: Path | None,
    env: Mapping[str, str] | None = None,
    overrides: Mapping[str, object] | None = None,
) -> tuple[GatewaySettings, BrokerSettings]:
    """`[gateway]` and `[broker]` from the file, the environment and CLI overrides."""
    gateway = load_section(GatewaySettings, "gateway", path, env)
    if overrides:
        gateway = GatewaySettings.model_validate(
            {**gateway.model_dump(), **{k: v for k, v in overrides.items() if v is not None}}
        )
    broker = load_section(BrokerSettings, "broker", path, env)
    return gateway, broker
