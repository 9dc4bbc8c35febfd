"""Alerts: the rules engine, the alert lifecycle and who is told.

Only what the patient shares reaches anyone (`sharing`). See docs/architecture.md,
"The path of a reading".

- `cache`: The engine's per-patient state: compiled rules, reading windows, arrivals, open alerts.
- `classify`: Is a reading a measurement of the patient, a device problem, or not for the rules at
  all?
- `cli`: Subcommands of `veille` that belong to `alerts`: replay, run, rules.
- `engine`: The rules engine: a reading (or the clock) in, alert changes out.
- `evaluate`: Pure rule checks: a rule, a window of readings, the reading just added -> an outcome.
- `history`: A patient's recent readings, as the rules need them, from any store.
- `inbox`: What the web's alert inbox reads: alerts of the patients a user may see, an alert's
  timeline and its deliveries (a failed one shown, never hidden).
- `lifecycle`: The alert state machine: open -> acknowledged -> resolved, pure and clock-free.
- `migrations/`: its Alembic branch
- `models`: Relational tables of alerts: alerts, their history, deliveries, per-patient targets.
- `notify/`: Notifiers: who hears of an alert change, over which channel, when, and proof it was
  sent.
- `replay`: Replay recorded readings through the rules on a virtual clock (issue 5's contract).
- `rules/`: Rule sets shipped with Veille, as data (``default.toml``).
- `ruleset`: Rules as data: the TOML rule set, its validation, and per-patient targets.
- `sqlstore`: Alert state and per-patient targets in the relational database.
- `store`: Where alert state lives: the `AlertStore` seam, and an in-memory store.
- `terms`: The closed vocabularies of alerts: categories, severities, states, transitions.
- `trends`: Trend rules over a whole series with pandas: the reference, and what charts show.
- `worker`: `veille alerts run`: a rule worker consuming readings from MQTT.
"""
