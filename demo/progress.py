"""What the demo prints while it runs: readings flowing, readings stored, alerts raised.

It watches the system from the outside, as an operator would: an MQTT
client on the readings and the collector's acks (a reading counts as stored
when the collector's ack names it), and the alerts table of the relational
database. It prints pseudonymous patient ids and categories, never values.
"""

from __future__ import annotations

import threading
import time
from collections import Counter
from collections.abc import Callable
from datetime import datetime
from typing import Any, TextIO
from zoneinfo import ZoneInfo

import paho.mqtt.client as paho
from pydantic_core import from_json
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from alerts.models import Alert
from veille.mqtt import BrokerSettings, connection
from wire import topics


class Progress:
    """Counts readings seen and stored; prints a line every ``every_s`` and each new alert."""

    def __init__(
        self,
        broker: BrokerSettings,
        sessions: sessionmaker[Session],
        out: TextIO,
        sim_now: Callable[[], datetime],
        zone: str,
    ) -> None:
        self.out = out
        self.sessions = sessions
        self.sim_now = sim_now
        self.zone = ZoneInfo(zone)
        self._lock = threading.Lock()
        self._kind_of: dict[str, str] = {}
        self._stored: set[str] = set()
        self._early_acks: set[str] = set()
        self._alerts: set[str] = set()
        self.alert_counts: Counter[str] = Counter()
        self.notifications = 0
        self._subscribed = threading.Event()
        self.conn = connection(broker, "veille-demo-progress", persistent=False)
        self.conn.client.on_connect = self._on_connect
        self.conn.client.on_subscribe = lambda *_a: self._subscribed.set()
        self.conn.client.on_message = self._on_message

    def _on_connect(self, client: paho.Client, *_args: Any) -> None:
        client.subscribe([(topics.ALL_READINGS, 1), (topics.ALL_ACKS, 1), (topics.ALL_ALERTS, 1)])

    def _on_message(self, _c: paho.Client, _u: Any, message: paho.MQTTMessage) -> None:
        try:  # anyone on the broker may publish anything: bounded nesting, no exception
            data = from_json(message.payload)
        except (ValueError, RecursionError):
            return
        if not isinstance(data, dict):
            return
        with self._lock:
            if topics.is_alert(message.topic):
                self.notifications += 1
            elif topics.is_ack(message.topic):
                ids = data.get("ids")
                for reading_id in ids if isinstance(ids, list) else []:
                    if not isinstance(reading_id, str):
                        continue
                    if reading_id in self._kind_of:
                        self._stored.add(reading_id)
                    else:  # the ack overtook our copy of the reading
                        self._early_acks.add(reading_id)
            elif isinstance(data.get("id"), str) and isinstance(data.get("kind"), str):
                self._kind_of[data["id"]] = data["kind"]
                if data["id"] in self._early_acks:
                    self._early_acks.discard(data["id"])
                    self._stored.add(data["id"])

    def start(self) -> None:
        self.prime()
        self.conn.connect_async()
        self._subscribed.wait(10)

    def stop(self) -> None:
        self.conn.close()

    def counts(self) -> tuple[int, int, Counter[str]]:
        """(readings seen, readings stored, stored per kind)."""
        with self._lock:
            per_kind = Counter(self._kind_of[i] for i in self._stored)
            return len(self._kind_of), len(self._stored), per_kind

    def line(self) -> None:
        seen, stored, per_kind = self.counts()
        kinds = ", ".join(f"{kind} {n}" for kind, n in sorted(per_kind.items())) or "none yet"
        when = self.sim_now().astimezone(self.zone).strftime("%Y-%m-%d %H:%M")
        total_alerts = sum(self.alert_counts.values())
        self.print(
            f"[{when}] readings published {seen}, stored {stored} ({kinds}); "
            f"alerts raised {total_alerts}, team notifications {self.notifications}"
        )

    def prime(self) -> None:
        """Count the alerts an earlier run raised, without announcing each as new."""
        with self.sessions() as session:
            rows = session.scalars(select(Alert)).all()
        for alert in rows:
            self._alerts.add(alert.id)
            self.alert_counts[alert.category] += 1
        if rows:
            earlier = dict(sorted(self.alert_counts.items()))
            self.print(f"  alerts raised by earlier runs: {earlier}")

    def poll_alerts(self) -> None:
        with self.sessions() as session:
            rows = session.scalars(select(Alert).order_by(Alert.opened_at)).all()
        for alert in rows:
            if alert.id in self._alerts:
                continue
            self._alerts.add(alert.id)
            self.alert_counts[alert.category] += 1
            when = alert.opened_at.astimezone(self.zone).strftime("%Y-%m-%d %H:%M")
            self.print(
                f"  ALERT {alert.severity:<7} {alert.category:<20} patient {alert.patient_id}"
                f"  ({when})"
            )

    def print(self, text: str) -> None:
        self.out.write(text + "\n")
        self.out.flush()

    def watch(self, stop: threading.Event, every_s: float = 2.0, quiet_s: float = 30.0) -> None:
        """Print until ``stop`` is set (run it in a thread): a line every ``every_s`` while
        readings flow, every ``quiet_s`` when nothing changes."""
        last: tuple[int, int] | None = None
        printed = 0.0
        while not stop.wait(every_s):
            self.poll_alerts()
            seen, stored, _kinds = self.counts()
            if (seen, stored) != last or time.monotonic() - printed >= quiet_s:
                self.line()
                last, printed = (seen, stored), time.monotonic()
