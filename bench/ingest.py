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

- with ``--client both``: the same run again with stock paho as the collector's
  MQTT client (``[collector] client = "paho"``) under ``"paho"``, and
  ``fast_to_paho``, the ratios of the fast client's figures to paho's: what
  `collector.fastclient` (which overrides private paho methods) earns.

Every gateway is paired with its patients first (the collector admits only
paired readings, `collector.admission`).

    python bench/ingest.py --store sqlite|influxdb [--readings 100000] [--gateways 1000]
                           [--client fast|paho|both]
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

from bench import ingest_setup as setup  # noqa: E402
from bench.ingest_peers import payloads  # noqa: E402
from collector.backends import open_store  # noqa: E402
from collector.consumer import CollectorSettings  # noqa: E402
from collector.store import ReadingStore  # noqa: E402
from wire.reading import WireReading  # noqa: E402

# --- orchestration ----------------------------------------------------------------


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
            database = f"sqlite:///{work / 'veille.db'}"
            setup.pair_all(database, args.gateways)
            clients = ["fast", "paho"] if args.client == "both" else [args.client]
            for client in clients:
                measured = _collector_run(
                    args, work, broker.port, broker.url, url, pid, influxd_pid, client, database
                )
                setup.end_session(broker.port, f"bench-{client}")
                if client == clients[0]:
                    result.update(measured, client=client)
                else:  # the other client, same broker and machine, a moment later
                    result[client] = {k: measured[k] for k in COMPARED}
            if len(clients) == 2:
                paho = result["paho"]
                result["fast_to_paho"] = {
                    "readings_per_s": round(result["readings_per_s"] / paho["readings_per_s"], 2),
                    "drain_readings_per_s": round(
                        result["drain_readings_per_s"] / paho["drain_readings_per_s"], 2
                    ),
                    "collector_cpu_per_reading": round(
                        result["collector_cpu_us_per_reading"]
                        / paho["collector_cpu_us_per_reading"],
                        2,
                    ),
                }
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


#: What the second client's run reports beside the first's.
COMPARED = (
    "readings_per_s",
    "lost",
    "duplicates",
    "rss_mb",
    "collector_cpu_us_per_reading",
    "drain_readings_per_s",
    "drain_collector_cpu_us_per_reading",
)


def _collector_run(
    args: argparse.Namespace,
    work: Path,
    port: int,
    broker_url: str,
    influx_url: str | None,
    broker_pid: int,
    influxd_pid: int | None,
    client: str,
    database: str,
) -> dict[str, Any]:
    settings = setup.settings(args.store, work, influx_url, f"batched-{client}")
    config = work / f"veille-{client}.toml"
    config.write_text(
        f'[broker]\nurl = "{broker_url}"\n'
        f'[collector]\nclient_id = "bench-{client}"\nbatch_size = {args.batch_size}\n'
        f"workers = {args.workers}\nreceive_maximum = {args.receive_maximum}\n"
        f'client = "{client}"\n'
        f'dead_letter_path = "{work / f"deadletter-{client}.sqlite"}"\n'
        f'[database]\nurl = "{database}"\n'
        f"[store]\n{setup.toml(settings)}"
    )
    env = {**os.environ, "VEILLE_CONFIG": str(config)}
    collector = subprocess.Popen(
        [sys.executable, "-m", "collector", "run"],  # `veille collector run` without other CLIs
        cwd=ROOT,
        env=env,
        stderr=(work / f"collector-{client}.log").open("wb"),
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
        setup.warm_up(port, store, args.gateways)
        procs = setup.spawn_publishers(port, args.readings, args.publishers, args.gateways, "b")
        publishers_cpu = sum(
            setup.cpu(p.pid) for p in procs
        )  # encoding the readings: not publishing
        broker_cpu = setup.cpu(broker_pid)
        influxd_cpu = setup.cpu(influxd_pid) if influxd_pid else 0.0
        collector_cpu = setup.cpu(collector.pid)
        started = time.monotonic()
        setup.go(procs)
        count, finished = setup.wait_stored(store, args.readings + 1, timeout=600)
        cpu["collector"] = setup.cpu(collector.pid) - collector_cpu
        cpu["broker"] = setup.cpu(broker_pid) - broker_cpu
        if influxd_pid:
            cpu["influxd"] = setup.cpu(influxd_pid) - influxd_cpu
        cpu["publishers"] = sum(setup.cpu(p.pid) for p in procs) - publishers_cpu
        for proc in procs:
            proc.wait(60)
        drain = _drain(args, port, store, count, collector, env)
    finally:
        done.set()
        collector.send_signal(signal.SIGTERM)
        collector.wait(30)
    expected = {
        WireReading.decode(p).id for _t, p in payloads(0, args.readings, args.gateways, "b")
    }
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
    procs = setup.spawn_publishers(port, args.drain_readings, args.publishers, args.gateways, "d")
    setup.go(procs)
    for proc in procs:
        proc.wait(300)
    restarted = subprocess.Popen(
        [sys.executable, "-m", "collector", "run"], cwd=ROOT, env=env, stderr=subprocess.DEVNULL
    )
    started = time.monotonic()
    try:
        total, finished = setup.wait_stored(store, count + args.drain_readings, timeout=600)
        cpu = setup.cpu(restarted.pid)
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
    settings = setup.settings(args.store, work, influx_url, "naive")
    consumer = subprocess.Popen(
        [sys.executable, str(setup.PEERS), "naive", str(port), settings.model_dump_json()],
        stdout=subprocess.PIPE,
        text=True,
    )
    store = open_store(settings)
    try:
        if consumer.stdout is None or not consumer.stdout.readline():
            raise RuntimeError("the naive consumer did not start")
        setup.warm_up(port, store, args.gateways)
        procs = setup.spawn_publishers(port, args.naive_readings, 1, args.gateways, "n")
        started = time.monotonic()
        setup.go(procs)
        count, finished = setup.wait_stored(store, args.naive_readings + 1, timeout=300)
        procs[0].wait(60)
    finally:
        consumer.send_signal(signal.SIGTERM)
        consumer.wait(30)
        store.close()
    return {
        "naive_readings": count - 1,
        "naive_readings_per_s": round((count - 1) / (finished - started)),
    }


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
    parser.add_argument(
        "--client",
        choices=["fast", "paho", "both"],
        default="fast",
        help="the collector's MQTT client; both: fast, then stock paho, and their ratios",
    )
    print(json.dumps(run(parser.parse_args())))


if __name__ == "__main__":
    main()
