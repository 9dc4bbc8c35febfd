"""Veille: home monitoring for chronic care.

This package holds the plumbing every other package shares: the `veille`
command line, configuration, structured logging and the MQTT connection.
The domain lives in the sibling packages named by DESIGN.md (`devices`,
`gateway`, `collector`, `alerts`, `sharing`, `web`).
"""

__version__ = "0.1.0"
