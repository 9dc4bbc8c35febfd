"""Waiting in tests: on a condition, with a deadline, never for a fixed time.

`wait_until` (threads) and `eventually` (asyncio) poll a predicate until it
holds or ``timeout`` seconds pass, then fail saying what was awaited. Their
poll interval is the only sleep the suite has (`tests/test_architecture.py`
fails on any other): a test that must see that something does *not* happen
waits instead for a later event that would come after it (a marker message
behind a redelivery, a heartbeat after an advertisement).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable

#: How often a condition is looked at: short against every timeout, long against a poll.
POLL_S = 0.02


def wait_until(
    predicate: Callable[[], object],
    timeout: float = 20.0,
    what: str = "",
    *,
    interval: float = POLL_S,
) -> None:
    """Return once ``predicate()`` is true; fail after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout:g} s waiting for {what or predicate}")
        time.sleep(interval)


async def eventually(
    predicate: Callable[[], object],
    timeout: float = 20.0,  # noqa: ASYNC109 (a deadline for a polled predicate, no cancel scope)
    what: str = "",
    *,
    interval: float = POLL_S,
) -> None:
    """`wait_until` for a coroutine: the event loop runs while it waits."""
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout:g} s waiting for {what or predicate}")
        await asyncio.sleep(interval)
