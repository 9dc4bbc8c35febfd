"""Alerts on our own broker, `wire.topics.alert` (by severity), for integrations.

The broker is ours (ACLs, TLS), so the alert itself travels, with the
pseudonymous patient id and no name.
"""

from __future__ import annotations

import paho.mqtt.client as paho

from alerts.notify.base import DeliveryFailed, Note
from veille.mqtt import PublishOutcomes
from wire import topics
from wire.alert import AlertMessage


class MqttChannel:
    name = "mqtt"
    trusted = True

    def __init__(self, client: paho.Client, *, timeout_s: float = 10.0) -> None:
        self._client = client
        self._outcomes = PublishOutcomes(client)
        self.timeout_s = timeout_s

    def send(self, target: str, note: Note) -> None:
        """``target`` is ignored: the topic is the alert's severity."""
        payload = note.payload
        severity = payload.severity if isinstance(payload, AlertMessage) else "info"
        body = payload.encode() if payload is not None else b"{}"
        info = self._client.publish(topics.alert(severity), body, qos=1)
        if info.rc != paho.MQTT_ERR_SUCCESS:
            raise DeliveryFailed(f"mqtt publish refused: {paho.error_string(info.rc)}")
        try:
            info.wait_for_publish(self.timeout_s)
        except (RuntimeError, ValueError) as err:
            raise DeliveryFailed(f"mqtt publish not acknowledged: {err}") from err
        if not info.is_published():
            raise DeliveryFailed(f"mqtt publish not acknowledged within {self.timeout_s} s")
        refusal = self._outcomes.refusal(info.mid)
        if refusal is not None:
            raise DeliveryFailed(f"mqtt publish refused by the broker: {refusal}")
