"""Run a gateway process on BlueZ or on a simulated home, until SIGTERM.

The simulated home is a `devices.sim.household` file (patients, devices,
schedules; the demo, the benchmark and the kill -9 test all use it): the
world clock runs ``[gateway.ble] speed`` times real time and the household's
own pairings are recorded where none exist.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable, Coroutine
from datetime import timedelta
from pathlib import Path
from typing import Any

from devices.sim.radio import VirtualRadio
from gateway.pairing import GatewayStore
from gateway.service import Backends, Gateway, install_signal_handlers
from gateway.settings import GatewaySettings
from veille.errors import ConfigError
from veille.mqtt import BrokerSettings


def _household(
    path: Path, settings: GatewaySettings
) -> tuple[VirtualRadio, Callable[[], Coroutine[Any, Any, None]]]:
    from devices.sim.household import Household, SimulatedHome

    household = Household.load(path)
    home = SimulatedHome(household)
    store = GatewayStore(settings.pairing_path)
    try:
        for (address, user), patient in household.pairings().items():
            if store.patient_for(address, user)[0] is None:  # explicit pairings win
                code = household.consent_code(address, user)
                store.pair(address, patient, household.devices[address].type, user, code)
    finally:
        store.close()
    step = 1.0  # real seconds between world-clock steps

    async def live() -> None:
        while True:
            await asyncio.sleep(step)
            home.advance_to(home.radio.now() + timedelta(seconds=step * settings.ble.speed))

    return home.radio, live


async def run_gateway(settings: GatewaySettings, broker: BrokerSettings) -> None:
    stop = asyncio.Event()
    install_signal_handlers(stop)
    if settings.ble.backend == "bluez":
        await Gateway(settings, broker).run(stop)
        return
    if settings.ble.household is None:  # BleSettings refuses this; kept explicit
        raise ConfigError("ble.backend = 'simulator' needs ble.household (a household TOML)")
    radio, live = _household(settings.ble.household, settings)
    gateway = Gateway(
        settings, broker, Backends(radio.scanner_backend, radio.client_backend, radio.now)
    )
    living = asyncio.create_task(live())
    try:
        await gateway.run(stop)
    finally:
        living.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await living
