"""Structured logs: one event name and key=value context, JSON in production.

Logs carry pseudonymous patient ids, gateway ids and reading ids, never a
health value, a name or a secret. Callers pass only such keys; the
`redact_values` processor is a second line of defence that drops any key
that looks like a measurement or a secret.
"""

from __future__ import annotations

import logging
import sys
from collections.abc import MutableMapping
from typing import Any

import structlog

#: Context keys that must never reach a log line, whoever passes them.
FORBIDDEN_KEYS = frozenset(
    {"metrics", "value", "values", "password", "token", "secret", "name", "email", "payload"}
)


def redact_values(
    _logger: Any, _method: str, event: MutableMapping[str, Any]
) -> MutableMapping[str, Any]:
    for key in list(event):
        if key in FORBIDDEN_KEYS or key.endswith(("_kg", "_mmhg", "_mmol_l", "_bpm", "_pct")):
            event[key] = "[redacted]"
    return event


def configure(*, json: bool = False, level: int = logging.INFO) -> None:
    """Set up structlog once per process (called by the CLI, not by libraries)."""
    renderer: Any = (
        structlog.processors.JSONRenderer() if json else structlog.dev.ConsoleRenderer(colors=False)
    )
    structlog.configure(
        processors=[
            structlog.contextvars.merge_contextvars,
            structlog.processors.add_log_level,
            structlog.processors.TimeStamper(fmt="iso", utc=True),
            redact_values,
            renderer,
        ],
        wrapper_class=structlog.make_filtering_bound_logger(level),
        logger_factory=structlog.PrintLoggerFactory(file=sys.stderr),
        cache_logger_on_first_use=False,
    )


def get(name: str) -> Any:
    """A logger bound to a component name."""
    return structlog.get_logger(component=name)
