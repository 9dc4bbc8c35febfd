"""STOP-GAP household gateway for `veille demo`, until the real gateway can run in the demo.

It does what the gateway's publishing half does, minimally and in memory:
each measurement of the household, when the simulated clock reaches it, is
wrapped in the `veille.reading/1` envelope (`devices.wire`), published with
QoS 1 to `veille/v1/gw/<id>/reading/<kind>`, and kept until the collector's
ack says the store has it; unacked readings are published again. It has no
radio and no durable outbox: the demo remembers the oldest unacked moment
in its state file, so a stopped demo plays those readings again next time
(same ids, so the store keeps each once).
"""

from __future__ import annotations

import json
import threading
import time
from collections import Counter
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import paho.mqtt.client as paho

from devices.wire import DeviceRef, encode, envelope
from veille.clock import Clock
from veille.demo_household import Household, Measurement
from veille.mqtt import BrokerSettings, Will, ack_topic, connection, reading_topic, status_topic

REPUBLISH_AFTER_S = 5.0


@dataclass(slots=True)
class _Waiting:
    topic: str
    payload: bytes
    measured: datetime
    sent: float


class StopGapGateway:
    """Publishes the household's measurements as the clock reaches them; `run` blocks."""

    def __init__(
        self,
        household: Household,
        clock: Clock,
        broker: BrokerSettings,
        gateway_id: str,
        played_until: datetime,
    ) -> None:
        self.household = household
        self.clock = clock
        self.gateway_id = gateway_id
        self.played_until = played_until
        #: (patient, kind) -> measurements taken (the household's side of the count)
        self.produced: Counter[tuple[str, str]] = Counter()
        self._waiting: dict[str, _Waiting] = {}
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._paused = threading.Event()
        self._idle = threading.Event()
        self._connected = threading.Event()
        self.conn = connection(
            broker,
            f"veille-demo-gateway-{gateway_id}",
            persistent=True,
            will=Will(status_topic(gateway_id), b"offline"),
        )
        self.conn.client.on_connect = self._on_connect
        self.conn.client.on_message = self._on_ack

    def _on_connect(self, client: paho.Client, _u: Any, _f: Any, rc: Any, _p: Any) -> None:
        client.subscribe(ack_topic(self.gateway_id), qos=1)
        client.publish(status_topic(self.gateway_id), b"online", qos=1, retain=True)
        self._connected.set()

    def _on_ack(self, _c: paho.Client, _u: Any, message: paho.MQTTMessage) -> None:
        try:
            ack = json.loads(message.payload)
            done = [str(i) for i in ack.get("ids", [])]
            done += [str(r.get("id")) for r in ack.get("rejected", [])]
        except (ValueError, AttributeError, TypeError):
            return
        with self._lock:
            for reading_id in done:
                self._waiting.pop(reading_id, None)

    def waiting(self) -> int:
        with self._lock:
            return len(self._waiting)

    def oldest_unacked(self) -> datetime | None:
        with self._lock:
            return min((w.measured for w in self._waiting.values()), default=None)

    def _publish(self, measurement: Measurement) -> None:
        device = measurement.device
        wire = envelope(
            measurement.reading,
            patient=measurement.patient.id,
            gateway=self.gateway_id,
            device=DeviceRef(
                address=device.address,
                driver=device.driver,
                model=device.model,
                serial=device.serial,
            ),
            time=measurement.at,
            received=self.clock.now(),
        )
        topic = reading_topic(self.gateway_id, wire.kind.value)
        payload = encode(wire)
        with self._lock:
            self._waiting[wire.id] = _Waiting(topic, payload, measurement.at, time.monotonic())
        self.conn.client.publish(topic, payload, qos=1)
        self.produced[(wire.patient, wire.kind.value)] += 1

    def _republish(self) -> None:
        cutoff = time.monotonic() - REPUBLISH_AFTER_S
        with self._lock:
            due = [w for w in self._waiting.values() if w.sent < cutoff]
            for item in due:
                item.sent = time.monotonic()
        for item in due:
            self.conn.client.publish(item.topic, item.payload, qos=1)

    def run(self) -> None:
        self.conn.connect_async()
        self._connected.wait(20)
        while not self._stop.is_set():
            if not self._paused.is_set():
                now = self.clock.now()
                for measurement in self.household.between(self.played_until, now):
                    self._publish(measurement)
                self.played_until = now
            else:
                self._idle.set()
            self._republish()
            self._stop.wait(0.05)
        self.conn.client.publish(status_topic(self.gateway_id), b"offline", qos=1, retain=True)
        self.conn.close()

    def pause(self) -> datetime:
        """Measure no more (the outbox still drains); the moment measuring stopped."""
        self._paused.set()
        self._idle.wait(5)
        return self.played_until

    def stop(self) -> None:
        self._stop.set()
