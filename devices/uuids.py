"""Every Bluetooth UUID Veille uses, named once: services, characteristics, descriptors.

16-bit assigned numbers on the Bluetooth base UUID, in the upper-case hex the
drivers and codecs key on (``normalize_uuid`` gives bleak's 128-bit form). The
names are the Bluetooth SIG's (Assigned Numbers, "GATT Services" and "GATT
Characteristic and Object Type"). A new profile adds its numbers here first.
"""

from __future__ import annotations

# --- services -------------------------------------------------------------------------
CURRENT_TIME_SERVICE = "1805"
GLUCOSE_SERVICE = "1808"
HEALTH_THERMOMETER_SERVICE = "1809"
DEVICE_INFORMATION_SERVICE = "180A"
BATTERY_SERVICE = "180F"
BLOOD_PRESSURE_SERVICE = "1810"
BODY_COMPOSITION_SERVICE = "181B"
USER_DATA_SERVICE = "181C"
WEIGHT_SCALE_SERVICE = "181D"
PULSE_OXIMETER_SERVICE = "1822"

# --- characteristics --------------------------------------------------------------------
DATE_TIME = "2A08"
GLUCOSE_MEASUREMENT = "2A18"
BATTERY_LEVEL = "2A19"
TEMPERATURE_MEASUREMENT = "2A1C"
INTERMEDIATE_TEMPERATURE = "2A1E"
MODEL_NUMBER = "2A24"
SERIAL_NUMBER = "2A25"
FIRMWARE_REVISION = "2A26"
MANUFACTURER_NAME = "2A29"
CURRENT_TIME = "2A2B"
GLUCOSE_MEASUREMENT_CONTEXT = "2A34"
BLOOD_PRESSURE_MEASUREMENT = "2A35"
INTERMEDIATE_CUFF_PRESSURE = "2A36"
RECORD_ACCESS_CONTROL_POINT = "2A52"
PLX_SPOT_CHECK_MEASUREMENT = "2A5E"
PLX_CONTINUOUS_MEASUREMENT = "2A5F"
PLX_FEATURES = "2A60"
USER_INDEX = "2A9A"
BODY_COMPOSITION_MEASUREMENT = "2A9C"
WEIGHT_MEASUREMENT = "2A9D"
USER_CONTROL_POINT = "2A9F"

# --- descriptors ------------------------------------------------------------------------
CLIENT_CHARACTERISTIC_CONFIGURATION = "2902"
