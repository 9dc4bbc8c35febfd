"""The gateway: the home's Raspberry Pi, from a device's advertisement to the broker.

It decodes nothing itself (drivers do, `devices`) and knows nothing of the server side
(tests/test_architecture.py). See docs/architecture.md, "The path of a reading".

- `agent`: A BlueZ pairing agent (``org.bluez.Agent1`` over D-Bus, with dbus-fast).
- `ble`: Scanning and connecting: from an advertisement to a finished driver session.
- `cli`: Subcommands of `veille` that belong to `gateway`: `gateway run`, `gateway status`, `pair`.
- `intake`: Where a driver's readings land: the outbox under the paired patient, or the quarantine.
- `outbox`: The durable outbox: a reading is on disk before it is published, and leaves only when
  the collector says its store has it.
- `pairing`: The gateway's own store: which device (and which user slot) belongs to which patient,
  what it remembers per device, and readings it would not publish.
- `pairing_cli`: `veille pair`: scan and list health devices, record device -> patient, bond when
  asked.
- `publisher`: From the outbox to the broker: QoS 1 publishes, PUBACK reason codes, collector acks,
  status.
- `runner`: Run a gateway process on BlueZ or on a simulated home, until SIGTERM.
- `service`: `veille gateway run`: the outbox, the publisher, the radio and the heartbeat,
  supervised.
- `settings`: The `[gateway]` section: who this gateway is, where it keeps its state, how hard it
  tries.
- `status`: `veille gateway status`: what an installer or support person needs to know, at the Pi.
- `status_broker`: The gateway's retained status on the broker, read once with a short timeout.
- `timing`: Which time a reading carries on the wire, given the device clock and the gateway's.
"""
