"""Benchmark of the shipped broker configuration: readings in, acks back.

Runs Debian's mosquitto with `deploy/mosquitto/mosquitto.conf` and its ACL
(the launcher of tests/deploy: TLS listener with passwords, persistence on),
then the MQTT half of Veille's delivery loop, open loop at ``--rate``:

    gateway gw-NNNN --QoS 1 reading--> broker --$share/collectors--> collector
    gateway <--------- QoS 1 ack ------ broker <-------------------- collector

Every reading is a real `veille.reading/1` envelope; each gateway has its own
account and TLS session; collectors ack each reading at once (no store: this
measures the broker, not InfluxDB). Prints one JSON object:

- ``ack_ms_p50/p99``: from the gateway's publish to its ack arriving.
- ``broker_cpu_us_per_reading``: mosquitto's CPU time (user+system) per
  reading, for its 8 packets (PUBLISH+PUBACK in, out, ack in, ack out).
- ``broker_cpu_ms_per_gateway_connect``: TLS handshake, password check and
  subscription of one gateway (what a reconnect storm after a broker restart
  costs); ``broker_rss_kib_per_gateway``: resident memory per connected gateway.
- ``readings_per_broker_core_s``: 1e6 / the above: what one core sustains
  before the single-threaded broker saturates (the Python clients, not the
  broker, limit ``--rate`` on a small machine).

    python bench/broker.py [--gateways 100] [--collectors 2] [--rate 500] [--seconds 10]
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import threading
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import psutil

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from devices.envelope import envelope
from devices.reading import Kind, Reading
from tests.deploy.broker import Peer, ShippedBroker
from wire import topics
from wire.reading import DeviceRef


def payloads(gateway: str, count: int) -> list[tuple[str, bytes]]:
    """(reading id, envelope bytes) for a gateway's blood-pressure cuff."""
    start = datetime(2026, 1, 1, tzinfo=UTC)
    out = []
    for n in range(count):
        at = start + timedelta(minutes=n)
        reading = Reading(
            Kind.BLOOD_PRESSURE,
            {"systolic_mmhg": 128.0, "diastolic_mmhg": 82.0, "pulse_bpm": 71.0},
            time=at.replace(tzinfo=None),
            sequence=n,
        )
        wire = envelope(
            reading,
            patient=f"p-{gateway}",
            gateway=gateway,
            device=DeviceRef(address=f"AA:BB:{gateway}", driver="blood_pressure"),
            time=at,
            received=at,
        )
        out.append((wire.id, wire.encode()))
    return out


def connect(server: ShippedBroker, name: str, password: str, client_id: str | None = None) -> Peer:
    return Peer(name, client_id=client_id).connect(
        server.password_port, password=password, ca=server.certs / "ca.crt"
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--gateways", type=int, default=100)
    parser.add_argument("--collectors", type=int, default=2)
    parser.add_argument("--rate", type=float, default=500.0, help="readings per second, total")
    parser.add_argument("--seconds", type=float, default=10.0)
    args = parser.parse_args()

    names = [f"gw-{n:04d}" for n in range(args.gateways)]
    accounts = {name: f"pw-{name}" for name in names} | {"collector": "pw-collector"}
    total = int(args.rate * args.seconds)
    per_gateway = total // args.gateways + 1
    sent: dict[str, float] = {}
    acked: dict[str, float] = {}
    lock = threading.Lock()

    with tempfile.TemporaryDirectory() as tmp:
        server = ShippedBroker(Path(tmp), accounts)
        server.start()
        try:
            collectors = [
                connect(server, "collector", "pw-collector", f"collector-{n}")
                for n in range(args.collectors)
            ]

            def on_reading(client: Any, _u: Any, message: Any) -> None:
                reading_id = json.loads(message.payload)["id"]
                client.publish(
                    topics.ack(topics.gateway_of(message.topic) or ""), reading_id, qos=1
                )

            for collector in collectors:
                collector.client.on_message = on_reading
                collector.subscribe(topics.shared("collectors", topics.ALL_READINGS))

            def on_ack(_c: Any, _u: Any, message: Any) -> None:
                with lock:
                    acked[message.payload.decode()] = time.perf_counter()

            broker = psutil.Process(server.process.pid if server.process else 0)
            cpu_connect = sum(broker.cpu_times()[:2])
            rss_connect = broker.memory_info().rss
            gateways = []
            for name in names:
                peer = connect(server, name, accounts[name])
                peer.client.on_message = on_ack
                peer.subscribe(topics.ack(name))
                gateways.append(
                    (peer, topics.reading(name, "blood_pressure"), payloads(name, per_gateway))
                )

            cpu_before = sum(broker.cpu_times()[:2])
            connect_ms = (cpu_before - cpu_connect) / args.gateways * 1000
            rss_kib = (broker.memory_info().rss - rss_connect) / args.gateways / 1024
            start = time.perf_counter()
            for n in range(total):
                due = start + n / args.rate
                if (wait := due - time.perf_counter()) > 0:
                    time.sleep(wait)
                peer, topic, queue = gateways[n % args.gateways]
                reading_id, payload = queue[n // args.gateways]
                with lock:
                    sent[reading_id] = time.perf_counter()
                peer.client.publish(topic, payload, qos=1)
            deadline = time.perf_counter() + 30
            while len(acked) < total and time.perf_counter() < deadline:
                time.sleep(0.05)
            elapsed = time.perf_counter() - start
            cpu = sum(broker.cpu_times()[:2]) - cpu_before
        finally:
            server.stop()

    delays = sorted((acked[i] - sent[i]) * 1000 for i in acked if i in sent)
    cpu_us = cpu / max(len(acked), 1) * 1e6
    print(
        json.dumps(
            {
                "bench": "broker",
                "broker": "mosquitto 2.0.11, deploy/mosquitto/mosquitto.conf, TLS 1.3 + passwords",
                "gateways": args.gateways,
                "collectors": args.collectors,
                "rate_target": args.rate,
                "readings_sent": total,
                "readings_acked": len(acked),
                "readings_lost": total - len(acked),
                "payload_bytes": len(gateways[0][2][0][1]),
                "elapsed_s": round(elapsed, 2),
                "ack_ms_p50": round(statistics.median(delays), 2) if delays else None,
                "ack_ms_p99": round(delays[int(len(delays) * 0.99) - 1], 2) if delays else None,
                "broker_cpu_ms_per_gateway_connect": round(connect_ms, 2),
                "broker_rss_kib_per_gateway": round(rss_kib, 1),
                "broker_cpu_us_per_reading": round(cpu_us, 1),
                "readings_per_broker_core_s": round(1e6 / cpu_us) if cpu_us else None,
            }
        )
    )
    return 0 if len(acked) == total else 1


if __name__ == "__main__":
    sys.exit(main())
