"""`veille collector run` as a real process, for tests that must see it live or die."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path

from tests.support.waits import wait_until

ROOT = Path(__file__).resolve().parents[2]


@contextmanager
def collector_process(
    data_dir: Path, broker_url: str, log: Path, env: Mapping[str, str] | None = None
) -> Iterator[subprocess.Popen[bytes]]:
    """The collector on ``data_dir`` (store, dead letters, pairings), subscribed; stopped
    with SIGTERM on exit if it still runs."""
    full = {**os.environ, "VEILLE_BROKER__URL": broker_url, **(env or {})}
    with log.open("ab") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", "veille.cli", "collector", "run", "--data-dir", str(data_dir)],
            cwd=ROOT,
            env=full,
            stdout=out,
            stderr=out,
        )
    try:
        wait_until(
            lambda: " subscribed " in log.read_text() or process.poll() is not None,
            what="the collector to subscribe",
        )
        yield process
    finally:
        if process.poll() is None:
            process.terminate()
            process.wait(20)
