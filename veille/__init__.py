"""Veille: home monitoring for chronic care. This package is the ground floor.

What every other package shares and nothing product-specific: it imports no
product package (`devices`, `gateway`, `collector`, `alerts`, `sharing`,
`web`, `demo`) nor `wire` (tests/test_architecture.py). The one exception is
named and bounded: `cli` loads each package's ``<package>.cli`` module from a
table of names, never by an import statement. See docs/architecture.md, "Packages".

- `cli`: the ``veille`` command; assembles each package's subcommands from its table
- `config`: one TOML file, every key overridable by an environment variable
- `logs`: structured logs (structlog), pseudonymous ids only
- `errors`: the one `VeilleError` tree
- `clock`: the real clock, and the compressed one of the demo and replays
- `db`: the relational side: one SQLAlchemy base, engines, Alembic migrations (`migrations/`)
- `mqtt`: broker settings, the MQTT 5 / 3.1.1 client factory, PUBACK outcomes
- `sqlitefile`: one way to open a SQLite state file (WAL, fsync)
- `gcpolicy`: garbage-collector settings for long-running services
"""

__version__ = "0.1.0"
