"""The BLE simulator: virtual devices on a virtual radio, reached through bleak's own backends.

``radio = VirtualRadio()``, ``radio.add(WeightScale(...))``, then
``BleakScanner(cb, backend=radio.scanner_backend)`` and
``BleakClient(device, backend=radio.client_backend)``.
"""

from devices.sim.devices import (
    BloodPressureCuff,
    BodyCompositionScale,
    Broadcaster,
    GlucoseMeter,
    WeightAndBodyCompositionScale,
    WeightScale,
)
from devices.sim.health import PulseOximeter, Thermometer
from devices.sim.peripheral import Faults, VirtualPeripheral
from devices.sim.radio import VirtualRadio
from devices.sim.uds_scale import UdsScale

__all__ = [
    "BloodPressureCuff",
    "BodyCompositionScale",
    "Broadcaster",
    "Faults",
    "GlucoseMeter",
    "PulseOximeter",
    "Thermometer",
    "UdsScale",
    "VirtualPeripheral",
    "VirtualRadio",
    "WeightAndBodyCompositionScale",
    "WeightScale",
]
