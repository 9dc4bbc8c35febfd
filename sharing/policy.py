"""The limits of access codes and break-glass, as one immutable value.

Defaults follow the research notes: codes from an unambiguous alphabet read
aloud in two groups, 24 h by default and 30 days at most, a few uses, and
guessing throttled per source and overall. A server passes its own
`CodePolicy` (with a secret ``pepper``) built from its configuration.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta

#: No I, L, O, U, 0 or 1: nothing to confuse when the code is read aloud or typed.
ALPHABET = "ABCDEFGHJKMNPQRSTVWXYZ23456789"


@dataclass(frozen=True, slots=True)
class CodePolicy:
    """Rules for temporary access codes.

    ``pepper`` keys the stored hash, so a copy of the database alone does not
    let anyone try the ~2^39 codes offline. ``session_ttl`` is how long one
    redemption's read-only capability lasts.
    """

    length: int = 8
    default_ttl: timedelta = timedelta(hours=24)
    max_ttl: timedelta = timedelta(days=30)
    default_uses: int = 3
    max_uses: int = 20
    session_ttl: timedelta = timedelta(hours=1)
    source_failures: int = 5
    global_failures: int = 100
    failure_window: timedelta = timedelta(minutes=15)
    pepper: bytes = field(default=b"", repr=False)


@dataclass(frozen=True, slots=True)
class BreakGlassPolicy:
    """Emergency access: a short window and a reason long enough to mean something."""

    default_window: timedelta = timedelta(hours=4)
    max_window: timedelta = timedelta(hours=12)
    min_reason_chars: int = 10
    #: a team's emergency access opened within this span after its previous one on the
    #: same patient ended (or while it is open) is "in a row": it needs a justification
    #: the team lead reads (docs/security.md)
    in_a_row: timedelta = timedelta(hours=24)
    min_justification_chars: int = 20


DEFAULT_CODE_POLICY = CodePolicy()
DEFAULT_BREAK_GLASS_POLICY = BreakGlassPolicy()
