"""Every message Veille sends over MQTT, and every topic it sends them on.

The contract between the gateway (in the home) and the server (collector,
rules, integrations): both import it, it imports nothing of the product
(only pydantic and the standard library). One tolerance rule for every
message (`wire.message`): readers ignore fields they do not know, writers
never send a field their model does not declare; anything else is a new
version. Golden files per version: ``tests/wire/golden/``. See
docs/architecture.md, "The wire".

- `topics`: every topic, one function each, and the filters; the only place one is spelled
- `message`: the base model and its tolerance rule; `encode`/`decode`
- `errors`: `PayloadError`, the one error a reader raises
- `vocabulary`: the kinds, metric names (unit in the suffix) and flags a reading may use
- `reading`: ``veille.reading/1``, one reading from a gateway (`WireReading`, `DeviceRef`)
- `ack`: ``veille.ack/1``, the collector's answer to a gateway (`Ack`, `Rejected`)
- `status`: ``veille.status/1``, a gateway's retained presence and heartbeat (`Status`)
- `deadletter`: ``veille.deadletter/1``, what the collector refused and why
- `alert`: ``veille.alert/1`` and ``veille.digest/1``, alerts for trusted integrations
"""
