"""Benchmark `veille gateway run` with 5 simulated devices against a real mosquitto.

Prints one JSON object: resident memory after steady state, idle CPU (a
window where no device measures), and reading-to-PUBACK latency (from the
moment the driver hands the gateway a reading to the broker's PUBACK, as
the gateway logs it for every reading), plus what was measured and how.

    python bench/gateway.py [--seconds 120] [--idle-seconds 20]

The devices measure during the first half of ``--seconds`` and then stop;
an acking consumer (the collector's role) acks every reading.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import paho.mqtt.client as paho
import psutil
from paho.mqtt.enums import CallbackAPIVersion

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.support.mosquitto import Mosquitto  # noqa: E402
from wire import topics  # noqa: E402

DEVICES = [
    ("weight_scale", "A4:C1:38:00:00:01"),
    ("body_composition", "A4:C1:38:00:00:02"),
    ("blood_pressure", "A4:C1:38:00:00:03"),
    ("glucose", "A4:C1:38:00:00:04"),
    ("blood_pressure", "A4:C1:38:00:00:05"),
]
BASELINES = {
    "weight_scale": "{ weight_kg = 72.4 }",
    "body_composition": "{ weight_kg = 70.0, body_fat_pct = 21.0, impedance_ohm = 500.0 }",
    "blood_pressure": "{ systolic_mmhg = 128, diastolic_mmhg = 80, pulse_bpm = 70 }",
    "glucose": "{ glucose_mmol_l = 5.8 }",
}


def household(ticks_active: int) -> str:
    """A `devices.sim.household` file: device n measures every 2 + n world minutes,
    ``ticks_active`` minutes long; the meter also holds 20 records."""
    lines = ['name = "bench"', "start = 2026-01-05", "scan_interval_s = 0.5", ""]
    for n, (kind, address) in enumerate(DEVICES):
        every = 2 + n
        lines += [
            f'[[patients]]\nid = "p-bench{n}"',
            f'[[devices]]\ntype = "{kind}"\naddress = "{address}"\nname = "{kind}"',
            f'model = "{kind}"\nusers = {{ 0 = "p-bench{n}" }}',
            f'[[schedules]]\npatient = "p-bench{n}"\ndevice = "{address}"',
            f"every_minutes = {every}\ncount = {max(1, ticks_active // every)}",
            f"baseline = {BASELINES[kind]}",
        ]
        if kind == "glucose":
            lines += [
                f'[[stored]]\ndevice = "{address}"\npatient = "p-bench{n}"',
                f"at = 2026-01-04T20:00:00\ncount = 20\nmetrics = {BASELINES[kind]}",
            ]
    return "\n".join(lines) + "\n"


class Acker:
    def __init__(self, port: int) -> None:
        self.count = 0
        self.client = paho.Client(CallbackAPIVersion.VERSION2, client_id="bench-acker")
        self.client.on_connect = lambda c, *_a: c.subscribe(topics.ALL_READINGS, 1)
        self.client.on_message = self._on_message
        self.client.connect("127.0.0.1", port)
        self.client.loop_start()

    def _on_message(self, client: paho.Client, _u: Any, message: paho.MQTTMessage) -> None:
        ident = json.loads(message.payload)["id"]
        ack = {"schema": "veille.ack/1", "ids": [ident], "rejected": []}
        client.publish(topics.ack(topics.gateway_of(message.topic) or "?"), json.dumps(ack), qos=1)
        self.count += 1

    def close(self) -> None:
        self.client.disconnect()
        self.client.loop_stop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=120.0, help="total run (steady state)")
    parser.add_argument("--idle-seconds", type=float, default=20.0, help="idle CPU window")
    parser.add_argument("--tick", type=float, default=1.0, help="real seconds per world minute")
    parser.add_argument("--keep-log", type=Path, help="copy the gateway's JSON log here")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as tmp, Mosquitto(Path(tmp) / "mosquitto") as broker:
        work = Path(tmp)
        active_s = max(args.seconds - args.idle_seconds - 10, args.seconds / 2)
        (work / "home.toml").write_text(household(int(active_s / args.tick)))
        config = work / "veille.toml"
        config.write_text(
            "\n".join(
                [
                    "[gateway]",
                    'id = "gw-bench"',
                    f'data_dir = "{work / "gw"}"',
                    "reconnect_after_s = 2.0",
                    "[gateway.ble]",
                    'backend = "simulator"',
                    f'household = "{work / "home.toml"}"',
                    f"speed = {60 / args.tick}",
                    "[broker]",
                    f'url = "{broker.url}"',
                    "",
                ]
            )
        )
        veille = [sys.executable, "-m", "veille.cli", "--config", str(config)]
        acker = Acker(broker.port)
        log_path = work / "gateway.log"
        with log_path.open("wb") as log:
            gateway = subprocess.Popen(
                [*veille, "gateway", "run", "--json-logs"], cwd=ROOT, stdout=log, stderr=log
            )
        proc = psutil.Process(gateway.pid)
        try:
            time.sleep(args.seconds - args.idle_seconds)
            # idle window: every device has measured its count; nothing advertises
            before = proc.cpu_times()
            started = time.monotonic()
            time.sleep(args.idle_seconds)
            after = proc.cpu_times()
            elapsed = time.monotonic() - started
            rss_mb = proc.memory_info().rss / 2**20
        finally:
            gateway.send_signal(signal.SIGTERM)
            gateway.wait(20)
            acker.close()
        if args.keep_log:
            args.keep_log.write_bytes(log_path.read_bytes())
        cpu = (after.user + after.system - before.user - before.system) / elapsed * 100
        latencies: list[float] = []
        for line in log_path.read_text().splitlines():
            try:
                event = json.loads(line)
            except json.JSONDecodeError:
                continue
            if event.get("event") == "reading_published":
                latencies.append(float(event["latency_ms"]))
        latencies.sort()
        p99 = latencies[min(len(latencies) - 1, int(len(latencies) * 0.99))] if latencies else None
        print(
            json.dumps(
                {
                    "rss_mb": round(rss_mb, 1),
                    "idle_cpu_pct": round(cpu, 2),
                    "publish_latency_ms_p50": round(statistics.median(latencies), 2)
                    if latencies
                    else None,
                    "publish_latency_ms_p99": round(p99, 2) if p99 is not None else None,
                    "readings_published": len(latencies),
                    "readings_acked_by_consumer": acker.count,
                    "seconds": args.seconds,
                    "idle_seconds": args.idle_seconds,
                    "devices": len(DEVICES),
                    "python": sys.version.split()[0],
                    "cpu_count": os.cpu_count(),
                }
            )
        )


if __name__ == "__main__":
    main()
