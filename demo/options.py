"""What a demo run is asked for, and the story's defaults: read by the CLI and the runner.

Its own module so that `demo.cli` (which must stay light: `veille --help` loads it)
and `demo.runner` (which loads every package) both depend on it, not on each other.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

#: Days of the household's story a first run replays, ending today.
HISTORY_DAYS = 28
#: Default compression: four weeks in about 45 seconds.
DEFAULT_SPEED = HISTORY_DAYS * 86_400 / 45


@dataclass(frozen=True, slots=True)
class DemoOptions:
    data_dir: Path
    duration_s: float | None = None
    reset: bool = False
    speed: float = DEFAULT_SPEED
    port: int = 8080
