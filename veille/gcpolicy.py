"""Garbage-collector settings for long-running services (web, collector).

CPython's cyclic collector runs a young-generation pass every 700 net
allocations of container objects and, every hundred of those, a full pass
over every object alive, imported modules and pydantic schemas included.
A service that allocates a few short-lived models per request or message
(freed by reference counting, not by the cyclic collector) pays for those
passes without getting anything back. Measured: under bench/ingest.py the
collector spent 13 % of its CPU in `gc_collect_main` and its traversals; in
the web app a full pass walked ~200k objects for ~75 ms, which was the
triage list's p95.
"""

from __future__ import annotations

import gc

#: Young-generation pass every 50,000 net allocations; older ones as rarely.
THRESHOLDS = (50_000, 20, 20)


def settle_after_startup() -> None:
    """Call once a service has built what it keeps (imports, app, store):
    those objects are frozen out of every later pass, and passes come less often."""
    gc.freeze()
    gc.set_threshold(*THRESHOLDS)
