"""End-to-end ingest: gateways -> real mosquitto -> the real collector -> a store.

Starts Debian's mosquitto (and, for ``--store influxdb``, Debian's influxd
1.6), the collector as its own process (`veille collector run`), and
publisher processes that publish QoS 1 readings from ``--gateways`` simulated
gateways (distinct gateway ids in topics and payloads, a few connections per
publisher process). Then, in the same run, a naive consumer that writes one
reading per request (one SQLite transaction or one InfluxDB /write each)
consumes a smaller sample, for the ratio.

Prints one JSON object:

- ``readings_per_s``: readings stored / seconds from the first publish to
  the last reading stored (publishers and collector running concurrently).
- ``lost``: published readings missing from the store; ``duplicates``: stored
  points beyond one per reading id.
- ``naive_readings_per_s``: the naive consumer over ``naive_readings``.
- ``rss_mb``: the collector's peak resident memory, summed over its worker
  processes (shared library pages counted once per process); ``pss_mb`` the
  same with shared pages divided among them.
- ``drain_readings_per_s``: the collector alone consuming a backlog queued
  while it was stopped, from process start (imports included) to the last
  reading stored: its own pace, without publishers sharing the CPU.
- ``cpu_s``: CPU seconds of the collector, the broker, the publishers (and
  influxd) during the concurrent run: on a small machine they share the cores;
  ``collector_cpu_us_per_reading`` (and the publishers' and broker's) the
  same per reading: the collector's cost, whatever the machine's other load.

    python bench/ingest.py --store sqlite|influxdb [--readings 100000] [--gateways 1000]
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

import psutil

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.ingest_peers import payloads  # noqa: E402
from collector.consumer import CollectorSettings  # noqa: E402
from collector.store import ReadingStore, StoreSettings, open_store  # noqa: E402
from devices.wire import decode  # noqa: E402

PEERS = ROOT / "bench" / "ingest_peers.py"

# --- orchestration ----------------------------------------------------------------


def _spawn_publishers(
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


def _go(procs: list[subprocess.Popen[str]]) -> None:
    for proc in procs:
        if proc.stdin is None:
            raise RuntimeError("a publisher has no stdin")
        proc.stdin.write("go\n")
        proc.stdin.flush()


def _wait_stored(store: ReadingStore, target: int, timeout: float) -> tuple[int, float]:
    """(count, when it was seen): polled every 50 ms, so a run of a few seconds is
    timed to within ~2 % (a 3,000-reading naive run at 0.1 s was timed to ~12 %)."""
    deadline = time.monotonic() + timeout
    count = store.count()
    while count < target and time.monotonic() < deadline:
        time.sleep(0.05)
        count = store.count()
    return count, time.monotonic()


def _warm_up(port: int, store: ReadingStore, gateways: int) -> None:
    """Until the consumer's session exists, published readings would be dropped."""
    warm = payloads(10_000_000, 1, gateways, "warm")
    from tests.collector.peers import publish

    deadline = time.monotonic() + 30
    while store.count() == 0:
        if time.monotonic() > deadline:
            raise RuntimeError("the consumer never stored the warm-up reading")
        publish(port, warm)
        time.sleep(0.3)


def _settings(kind: str, work: Path, influx_url: str | None, bucket: str) -> StoreSettings:
    if kind == "sqlite":
        # The naive consumer gets the checkpoint interval that suits one-reading commits
        # (SQLite's default, ~1.8x faster for it than the collector's), so the ratio is
        # against the naive consumer at its best.
        pages = 1000 if bucket == "naive" else StoreSettings().checkpoint_pages
        path = work / bucket / "readings.sqlite"
        return StoreSettings(backend="sqlite", path=path, checkpoint_pages=pages)
    return StoreSettings(backend="influxdb", url=influx_url or "", bucket=bucket)


def run(args: argparse.Namespace) -> dict[str, Any]:
    from tests.support.influx import Influxd
    from tests.support.mosquitto import Mosquitto

    work = Path(tempfile.mkdtemp(prefix="veille-bench-"))
    influx = Influxd(work / "influxd") if args.store == "influxdb" else None
    result: dict[str, Any] = {"store": args.store}
    with Mosquitto(work / "mosquitto", extra_config="max_inflight_messages 0") as broker:
        if influx is not None:
            influx.start()
            result["influxdb_version"] = "1.6 (v1 /write)"
        try:
            url = influx.url if influx else None
            if broker.process is None:
                raise RuntimeError("mosquitto did not start")
            pid = broker.process.pid
            influxd_pid = influx.process.pid if influx and influx.process else None
            result.update(
                _collector_run(args, work, broker.port, broker.url, url, pid, influxd_pid)
            )
            if args.naive_readings:
                result.update(_naive_run(args, work, broker.port, url))
        finally:
            if influx is not None:
                influx.stop()
    if result.get("naive_readings_per_s"):
        result["ratio_to_naive"] = round(
            result["readings_per_s"] / result["naive_readings_per_s"], 1
        )
    return result


def _collector_run(
    args: argparse.Namespace,
    work: Path,
    port: int,
    broker_url: str,
    influx_url: str | None,
    broker_pid: int,
    influxd_pid: int | None = None,
) -> dict[str, Any]:
    settings = _settings(args.store, work, influx_url, "batched")
    config = work / "veille.toml"
    config.write_text(
        f'[broker]\nurl = "{broker_url}"\n'
        f'[collector]\nclient_id = "bench"\nbatch_size = {args.batch_size}\n'
        f"workers = {args.workers}\nreceive_maximum = {args.receive_maximum}\n"
        f'dead_letter_path = "{work / "deadletter.sqlite"}"\n'
        f"[store]\n{_toml(settings)}"
    )
    env = {**os.environ, "VEILLE_CONFIG": str(config)}
    collector = subprocess.Popen(
        [sys.executable, "-m", "collector", "run"],  # `veille collector run` without other CLIs
        cwd=ROOT,
        env=env,
        stderr=(work / "collector.log").open("wb"),
    )
    store = open_store(settings)
    peak = [0, 0]
    done = threading.Event()

    def sample() -> None:
        """Peak summed RSS (shared pages counted in each process) and PSS of the collector."""
        proc = psutil.Process(collector.pid)
        while not done.is_set():
            try:
                family = [proc, *proc.children(recursive=True)]
                infos = [p.memory_full_info() for p in family]
                peak[0] = max(peak[0], sum(i.rss for i in infos))
                peak[1] = max(peak[1], sum(i.pss for i in infos))
            except psutil.NoSuchProcess:
                pass
            done.wait(0.2)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    cpu: dict[str, float] = {}
    drain: dict[str, Any] = {}
    try:
        _warm_up(port, store, args.gateways)
        procs = _spawn_publishers(port, args.readings, args.publishers, args.gateways, "b")
        publishers_cpu = sum(_cpu(p.pid) for p in procs)  # encoding the readings: not publishing
        broker_cpu = _cpu(broker_pid)
        influxd_cpu = _cpu(influxd_pid) if influxd_pid else 0.0
        collector_cpu = _cpu(collector.pid)
        started = time.monotonic()
        _go(procs)
        count, finished = _wait_stored(store, args.readings + 1, timeout=600)
        cpu["collector"] = _cpu(collector.pid) - collector_cpu
        cpu["broker"] = _cpu(broker_pid) - broker_cpu
        if influxd_pid:
            cpu["influxd"] = _cpu(influxd_pid) - influxd_cpu
        cpu["publishers"] = sum(_cpu(p.pid) for p in procs) - publishers_cpu
        for proc in procs:
            proc.wait(60)
        drain = _drain(args, port, store, count, collector, env)
    finally:
        done.set()
        collector.send_signal(signal.SIGTERM)
        collector.wait(30)
    expected = {decode(p).id for _t, p in payloads(0, args.readings, args.gateways, "b")}
    stored_ids = {r.id for patient in store.patients() for r in store.readings(patient)}
    store.close()
    stored = len(expected & stored_ids)
    return {
        "readings": args.readings,
        "gateways": args.gateways,
        "publisher_processes": args.publishers,
        "stored": stored,
        "seconds": round(finished - started, 2),
        "readings_per_s": round(stored / (finished - started)),
        "lost": len(expected - stored_ids),
        "duplicates": count - 1 - stored,
        "rss_mb": round(peak[0] / 2**20, 1),
        "pss_mb": round(peak[1] / 2**20, 1),
        "batch_size": args.batch_size,
        "collector_processes": args.workers,
        "cpu_s": {name: round(value, 1) for name, value in cpu.items()},
        "collector_cpu_us_per_reading": round(cpu["collector"] / args.readings * 1e6, 1),
        "publishers_cpu_us_per_reading": round(cpu["publishers"] / args.readings * 1e6, 1),
        "broker_cpu_us_per_reading": round(cpu["broker"] / args.readings * 1e6, 1),
        **(
            {"influxd_cpu_us_per_reading": round(cpu["influxd"] / args.readings * 1e6, 1)}
            if "influxd" in cpu
            else {}
        ),
        **drain,
    }


def _drain(
    args: argparse.Namespace,
    port: int,
    store: ReadingStore,
    count: int,
    collector: subprocess.Popen[bytes],
    env: dict[str, str],
) -> dict[str, Any]:
    """The collector's own pace: a backlog queued in its session while it was stopped,
    then consumed with no publisher competing for the CPU (a restart after an outage)."""
    if not args.drain_readings:
        return {}
    collector.send_signal(signal.SIGTERM)
    collector.wait(30)
    procs = _spawn_publishers(port, args.drain_readings, args.publishers, args.gateways, "d")
    _go(procs)
    for proc in procs:
        proc.wait(300)
    restarted = subprocess.Popen(
        [sys.executable, "-m", "collector", "run"], cwd=ROOT, env=env, stderr=subprocess.DEVNULL
    )
    started = time.monotonic()
    try:
        total, finished = _wait_stored(store, count + args.drain_readings, timeout=600)
        cpu = _cpu(restarted.pid)
    finally:
        restarted.send_signal(signal.SIGTERM)
        restarted.wait(30)
    return {
        "drain_readings": total - count,
        "drain_readings_per_s": round((total - count) / (finished - started)),
        # from process start: imports and connecting included
        "drain_collector_cpu_us_per_reading": round(cpu / max(total - count, 1) * 1e6, 1),
    }


def _naive_run(
    args: argparse.Namespace, work: Path, port: int, influx_url: str | None
) -> dict[str, Any]:
    settings = _settings(args.store, work, influx_url, "naive")
    consumer = subprocess.Popen(
        [sys.executable, str(PEERS), "naive", str(port), settings.model_dump_json()],
        stdout=subprocess.PIPE,
        text=True,
    )
    store = open_store(settings)
    try:
        if consumer.stdout is None or not consumer.stdout.readline():
            raise RuntimeError("the naive consumer did not start")
        _warm_up(port, store, args.gateways)
        procs = _spawn_publishers(port, args.naive_readings, 1, args.gateways, "n")
        started = time.monotonic()
        _go(procs)
        count, finished = _wait_stored(store, args.naive_readings + 1, timeout=300)
        procs[0].wait(60)
    finally:
        consumer.send_signal(signal.SIGTERM)
        consumer.wait(30)
        store.close()
    return {
        "naive_readings": count - 1,
        "naive_readings_per_s": round((count - 1) / (finished - started)),
    }


def _cpu(pid: int) -> float:
    """User + system CPU seconds of a process and its children so far."""
    try:
        proc = psutil.Process(pid)
        family = [proc, *proc.children(recursive=True)]
        return sum(sum(p.cpu_times()[:2]) for p in family)
    except psutil.NoSuchProcess:
        return 0.0


def _toml(settings: StoreSettings) -> str:
    data = settings.model_dump(mode="json", exclude_none=True)
    return "".join(f"{key} = {json.dumps(value)}\n" for key, value in data.items())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--store", choices=["sqlite", "influxdb"], default="sqlite")
    parser.add_argument("--readings", type=int, default=100_000)
    parser.add_argument("--gateways", type=int, default=1000)
    parser.add_argument("--publishers", type=int, default=2)
    parser.add_argument("--batch-size", type=int, default=CollectorSettings().batch_size)
    parser.add_argument("--workers", type=int, default=1, help="collector processes")
    parser.add_argument("--receive-maximum", type=int, default=CollectorSettings().receive_maximum)
    parser.add_argument("--naive-readings", type=int, default=10_000)
    parser.add_argument("--drain-readings", type=int, default=50_000)
    print(json.dumps(run(parser.parse_args())))


if __name__ == "__main__":
    main()
