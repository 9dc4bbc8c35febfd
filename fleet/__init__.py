"""Programme operations on the server: the health of every home's gateway.

The map:

- `models`: the tables (latest health per gateway, per device, and the history)
- `record`: one ``veille.status/1`` message into those tables (clock drift, offline since)
- `consumer`: the MQTT reader of every gateway's retained status and heartbeat
- `view`: what the API shows of a gateway, and which gateways a nurse may see
- `cli`: ``veille fleet run``, the consumer as a service

It reads `wire` (the status message), `collector.models` (which gateway serves
which patient) and `sharing.models` (which team follows whom); it imports no
web, gateway or rules code. The web route is `web.routes.fleet`.
"""
