"""The collector: readings from MQTT into the store, once each, acked to the gateway.

It stores and refuses; clinical rules are not its business. See docs/architecture.md,
"The path of a reading".

- `__main__`: ``python -m collector run``: the collector alone, without every other command
- `admission`: Admitting one MQTT message: a reading the store and the rules may see, or why not.
- `authority`: Which patients and devices each gateway serves: the server's answer, not the
  gateway's.
- `backends`: Which `ReadingStore` back-end a ``[store] backend`` name opens: the registry.
- `cli`: Subcommands of `veille` that belong to `collector`: `collector run` and `export`.
- `consumer`: The collector service: MQTT readings in, batched idempotent writes, acks out.
- `deadletter`: Payloads the collector could not accept, kept with the reason.
- `fastclient`: A paho client for a consumer of many small messages: fewer syscalls per message.
- `influx`: The InfluxDB store: Debian's 1.6 through 2.x, 3.x and Cloud.
- `lineproto`: Readings as InfluxDB points and back: the schema of docs/stores.md, pure functions.
- `migrations/`: its Alembic branch
- `models`: Relational tables of the collector: who may send what, and what was refused.
- `pairing_cli`: `veille collector pair|unpair|pairings|refusals`: the server's record of each
  home.
- `pairings`: Telling the server which patients a gateway serves: pair, end, list.
- `plausibility`: Is this reading physically possible? Checked at ingest, before the store and the
  rules.
- `poison`: Poison messages: a payload that stopped the process is never handled again.
- `service`: Assembling and running the collector from configuration (`veille collector run`).
- `session`: The collector's MQTT session: subscribe, queue what arrives, publish, acknowledge.
- `settings`: The ``[collector]`` section: batching, the MQTT session, acks, retries, workers.
- `sqlite_file`: One way to open the collector's SQLite files (readings, dead letters).
- `sqlite_store`: The embedded store: readings in one SQLite file (WAL), no server.
- `store`: The `ReadingStore` seam: where readings live once the collector has them.
- `stored`: Reading a stored reading back, whatever an older collector let into the store.
- `validate`: Is this MQTT message a reading we can store? A reading, or the reason why not.
"""
