"""Run a gateway process on BlueZ or on a simulated home, until SIGTERM."""

from __future__ import annotations

import asyncio
import contextlib

from gateway.service import Backends, Gateway, install_signal_handlers
from gateway.settings import GatewaySettings
from veille.mqtt import BrokerSettings


async def run_gateway(settings: GatewaySettings, broker: BrokerSettings) -> None:
    stop = asyncio.Event()
    install_signal_handlers(stop)
    if settings.ble.backend == "bluez":
        await Gateway(settings, broker).run(stop)
        return
    from gateway.simhome import World, load  # only demos and tests need the simulator

    assert settings.ble.household is not None  # checked by BleSettings
    world = World(load(settings.ble.household))
    radio = world.radio
    gateway = Gateway(
        settings, broker, Backends(radio.scanner_backend, radio.client_backend, radio.now)
    )
    living = asyncio.create_task(world.run())
    try:
        await gateway.run(stop)
    finally:
        living.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await living
