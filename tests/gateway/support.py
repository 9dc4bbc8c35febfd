"""Test helpers for the gateway: a tiny acking consumer (waits: `tests.support.waits`)."""

from __future__ import annotations

import json
import threading

import paho.mqtt.client as paho
from paho.mqtt.enums import CallbackAPIVersion

from wire import topics
from wire.ack import Ack, Rejected


class Acker:
    """Subscribes to every reading and acks it (or rejects the ids in ``reject``)."""

    def __init__(self, port: int, *, ack: bool = True) -> None:
        self.ack = ack
        self.reject: set[str] = set()
        self.received: list[dict[str, object]] = []
        self.status: list[dict[str, object]] = []
        self._lock = threading.Lock()
        self._ready = threading.Event()
        self.client = paho.Client(CallbackAPIVersion.VERSION2, client_id="test-acker")
        self.client.on_connect = self._on_connect
        self.client.on_message = self._on_message
        self.client.connect("127.0.0.1", port)
        self.client.loop_start()
        if not self._ready.wait(10):
            raise RuntimeError("acker could not subscribe")

    def _on_connect(self, client: paho.Client, *_args: object) -> None:
        client.subscribe([(topics.ALL_READINGS, 1), (topics.ALL_STATUSES, 1)])
        self._ready.set()

    def _on_message(self, client: paho.Client, _u: object, message: paho.MQTTMessage) -> None:
        body = json.loads(message.payload)
        if topics.is_status(message.topic):
            with self._lock:
                self.status.append(body)
            return
        with self._lock:
            self.received.append(body)
        if not self.ack:
            return
        gateway = topics.gateway_of(message.topic)
        assert gateway is not None
        ident = str(body["id"])
        if ident in self.reject:
            ack = Ack(rejected=[Rejected(id=ident, reason="test rejects it")])
        else:
            ack = Ack(ids=[ident])
        client.publish(topics.ack(gateway), ack.encode(), qos=1)

    def ids(self) -> list[str]:
        with self._lock:
            return [str(r["id"]) for r in self.received]

    def close(self) -> None:
        self.client.disconnect()
        self.client.loop_stop()
