"""What bench/ingest.py needs around the collector: peers, pairings, settings, counts, CPU."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

import psutil

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.ingest_peers import T0, payloads  # noqa: E402
from collector.pairings import pair  # noqa: E402
from collector.store import ReadingStore, StoreSettings  # noqa: E402
from veille.db import create_schema, import_models, make_engine, session_factory  # noqa: E402

PEERS = ROOT / "bench" / "ingest_peers.py"


def spawn_publishers(
    port: int, total: int, processes: int, gateways: int, tag: str
) -> list[subprocess.Popen[str]]:
    share = total // processes
    procs = []
    for i in range(processes):
        count = share if i < processes - 1 else total - share * (processes - 1)
        args = ["publisher", str(port), str(i * share), str(count), str(gateways), tag]
        procs.append(
            subprocess.Popen(
                [sys.executable, str(PEERS), *args],
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                text=True,
            )
        )
    for proc in procs:
        if proc.stdout is None or proc.stdout.readline().strip() != "ready":
            raise RuntimeError("a publisher did not start")
    return procs


def go(procs: list[subprocess.Popen[str]]) -> None:
    for proc in procs:
        if proc.stdin is None:
            raise RuntimeError("a publisher has no stdin")
        proc.stdin.write("go\n")
        proc.stdin.flush()


def wait_stored(store: ReadingStore, target: int, timeout: float) -> tuple[int, float]:
    """(count, when it was seen): polled every 50 ms, so a run of a few seconds is
    timed to within ~2 % (a 3,000-reading naive run at 0.1 s was timed to ~12 %)."""
    deadline = time.monotonic() + timeout
    count = store.count()
    while count < target and time.monotonic() < deadline:
        time.sleep(0.05)
        count = store.count()
    return count, time.monotonic()


def warm_up(port: int, store: ReadingStore, gateways: int) -> None:
    """Until the consumer's session exists, published readings would be dropped."""
    warm = payloads(10_000_000, 1, gateways, "warm")
    from tests.collector.peers import publish

    deadline = time.monotonic() + 30
    while store.count() == 0:
        if time.monotonic() > deadline:
            raise RuntimeError("the consumer never stored the warm-up reading")
        publish(port, warm)
        time.sleep(0.3)


def settings(kind: str, work: Path, influx_url: str | None, bucket: str) -> StoreSettings:
    if kind == "sqlite":
        # The naive consumer gets the checkpoint interval that suits one-reading commits
        # (SQLite's default, ~1.8x faster for it than the collector's), so the ratio is
        # against the naive consumer at its best.
        pages = 1000 if bucket == "naive" else StoreSettings().checkpoint_pages
        path = work / bucket / "readings.sqlite"
        return StoreSettings(backend="sqlite", path=path, checkpoint_pages=pages)
    return StoreSettings(backend="influxdb", url=influx_url or "", bucket=bucket)


#: The readings' patient tags: the timed run, the drain, the naive consumer, the warm-ups.
TAGS = ("b", "d", "n", "warm")


def pair_all(url: str, gateways: int) -> None:
    """Gateway n serves the patients ``p-TAG-n``: the collector admits only paired readings."""
    import_models()
    engine = make_engine(url)
    create_schema(engine)
    with session_factory(engine)() as session:
        for n in range(gateways):
            for tag in TAGS:
                pair(session, f"gw-{n:04d}", f"p-{tag}-{n:04d}", now=T0, paired_at=T0)
        session.commit()
    engine.dispose()


def end_session(port: int, client_id: str) -> None:
    """Drop a stopped collector's persistent session: the broker stops queueing for it."""
    import paho.mqtt.client as paho
    from paho.mqtt.enums import CallbackAPIVersion, MQTTProtocolVersion

    client = paho.Client(
        CallbackAPIVersion.VERSION2,
        client_id=client_id,
        protocol=MQTTProtocolVersion.MQTTv311,
        clean_session=True,
    )
    client.connect("127.0.0.1", port)
    client.loop_start()
    client.disconnect()
    client.loop_stop()


def cpu(pid: int) -> float:
    """User + system CPU seconds of a process and its children so far."""
    try:
        proc = psutil.Process(pid)
        family = [proc, *proc.children(recursive=True)]
        return sum(sum(p.cpu_times()[:2]) for p in family)
    except psutil.NoSuchProcess:
        return 0.0


def toml(settings: StoreSettings) -> str:
    data = settings.model_dump(mode="json", exclude_none=True)
    return "".join(f"{key} = {json.dumps(value)}\n" for key, value in data.items())
