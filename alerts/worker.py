"""`veille alerts run`: a rule worker consuming readings from MQTT.

Workers share the readings through an MQTT 5 shared subscription
(``$share/<group>/veille/v1/gw/+/reading/#``) and keep no state of their own
beyond caches: alert state, deliveries, targets and the readings a
confirmation needs (`alerts.engine`) are in the relational database, so
several run side by side and any may stop. paho's network thread only
queues payloads; one loop evaluates them, then, every ``tick_s``, advances
the clock for missing data, escalates and delivers.
"""

from __future__ import annotations

import argparse
import os
import queue
import socket
import sys
import threading
import time
from collections.abc import Callable, Mapping
from datetime import datetime, timedelta
from functools import partial
from pathlib import Path
from typing import Any

import paho.mqtt.client as paho
from pydantic import BaseModel, ConfigDict, Field

from alerts.engine import Engine
from alerts.history import SeriesStore, StoreHistory
from alerts.lifecycle import Transition
from alerts.notify.apprise_channel import AppriseChannel
from alerts.notify.base import Channel
from alerts.notify.directory import SharingDirectory
from alerts.notify.dispatch import Address, Dispatcher
from alerts.notify.email import EmailChannel
from alerts.notify.mqtt import MqttChannel
from alerts.notify.technical import CONTACT as TECHNICAL
from alerts.notify.technical import report_refusals
from alerts.notify.webhook import WebhookChannel
from alerts.ruleset import DeviceRule, load_rules
from alerts.sqlstore import DbTargets, SqlAlertStore, SqlReadingLog
from collector.admission import Admission
from collector.authority import DbAuthority
from collector.backends import open_store
from collector.store import StoreSettings
from sharing.models import Patient
from veille import logs
from veille.clock import Clock, SystemClock
from veille.config import load_section
from veille.db import create_schema, make_engine, session_factory
from veille.errors import ConfigError, VeilleError
from veille.mqtt import BrokerSettings, connection
from wire import topics
from wire.errors import PayloadError
from wire.reading import WireReading

log = logs.get("alerts.worker")


class AddressSettings(BaseModel):
    model_config = ConfigDict(extra="forbid")

    channel: str
    target: str = ""
    language: str = "fr"


class AlertsSettings(BaseModel):
    """``[alerts]`` of the configuration file."""

    model_config = ConfigDict(extra="forbid")

    database: str = "sqlite:///veille.db"
    rules: Path | None = None
    group: str = "rules"
    client_id: str | None = None
    link: str = "http://localhost:8000/alerts"
    tick_s: float = Field(default=30.0, gt=0)
    cache_ttl_s: float = Field(default=60.0, ge=0)
    escalate_after_min: float = Field(default=15.0, gt=0)
    smtp_host: str | None = None
    smtp_port: int = 25
    smtp_sender: str = "veille@localhost"
    smtp_starttls: bool = False
    webhook_secret_file: Path | None = None
    contacts: dict[str, list[AddressSettings]] = Field(default_factory=dict)


class Worker:
    """Evaluates readings and runs the housekeeping; the MQTT loop is `run`'s business."""

    def __init__(
        self,
        engine: Engine,
        dispatcher: Dispatcher | None,
        clock: Clock,
        admission: Admission | None = None,
        technical: Callable[[datetime], int] | None = None,
    ) -> None:
        self.engine = engine
        self.dispatcher = dispatcher
        self.clock = clock
        #: tells the programme's technical contact of readings the collector refused
        self.technical = technical
        #: the collector's own admission: what it refuses (implausible, another home's
        #: patient) never reaches the rules either
        self.admission = admission

    def handle(self, payload: bytes) -> list[Transition]:
        return self.handle_many([payload])

    def handle_many(
        self, payloads: list[bytes], topics: list[str] | None = None
    ) -> list[Transition]:
        """Judge what arrived together (the shared reading log written in one commit);
        a payload that is not an admitted reading is logged and skipped, whatever it
        makes the parser raise."""
        wires = self._readings(payloads, topics)
        now = self.clock.now()
        try:
            changes = self.engine.on_readings(wires, now)
        except Exception:
            if len(wires) <= 1:
                raise
            changes = []
            for wire in wires:  # alone, so only the reading that fails is lost to the rules
                try:
                    changes.extend(self.engine.on_readings([wire], now))
                except Exception as err:  # noqa: BLE001 - logged with the reading id, skipped
                    log.error("alerts_reading_failed", reading=wire.id, error=type(err).__name__)
        if changes and self.dispatcher is not None:
            self.dispatcher.enqueue(changes, now)
        return changes

    def _readings(self, payloads: list[bytes], topics: list[str] | None) -> list[WireReading]:
        if self.admission is not None and topics is not None:
            self.admission.ready()  # the pairings database down: the supervisor loop waits
            valid, reasons = self.admission.admit_many(list(zip(topics, payloads, strict=True)))
            for reason in reasons.values():
                log.warning("alerts_refused_payload", error=reason[:300])
            return [valid[i] for i in sorted(valid)]
        wires = []
        for payload in payloads:
            try:
                wires.append(WireReading.decode(payload))
            except PayloadError as err:
                log.warning("alerts_bad_payload", error=str(err)[:300])
            except Exception as err:  # noqa: BLE001 - a hostile payload never stops the worker
                log.warning("alerts_bad_payload", error=type(err).__name__)
        return wires

    def housekeeping(self) -> list[Transition]:
        now = self.clock.now()
        changes = self.engine.tick(now)
        if self.dispatcher is not None:
            if changes:
                self.dispatcher.enqueue(changes, now)
            self.dispatcher.escalate(now)
            self.dispatcher.deliver_due(now)
        if self.technical is not None:
            self.technical(now)
        return changes


def channels(settings: AlertsSettings, client: paho.Client) -> dict[str, Channel]:
    found: dict[str, Channel] = {"mqtt": MqttChannel(client), "apprise": AppriseChannel()}
    if settings.smtp_host:
        found["email"] = EmailChannel(
            settings.smtp_host,
            settings.smtp_port,
            settings.smtp_sender,
            starttls=settings.smtp_starttls,
        )
    if settings.webhook_secret_file is not None:
        try:
            secret = settings.webhook_secret_file.read_bytes().strip()
        except OSError as err:
            raise ConfigError(f"[alerts] webhook_secret_file: {err.strerror}") from err
        found["webhook"] = WebhookChannel(secret)
    return found


def contacts(settings: AlertsSettings) -> Mapping[str, list[Address]]:
    return {
        key: [Address(a.channel, a.target, a.language) for a in value]
        for key, value in settings.contacts.items()
    }


def build(
    settings: AlertsSettings, client: paho.Client, clock: Clock, store: SeriesStore | None = None
) -> Worker:
    """The worker; with ``store`` (the collector's `ReadingStore`) the rules see the
    stored history, without it only the readings this worker evaluated."""
    rules = load_rules(settings.rules)
    history = StoreHistory.for_rules(store, rules.of_type(DeviceRule)) if store else None
    db = make_engine(settings.database)
    create_schema(db)
    sessions = session_factory(db)

    def zone_of(patient: str) -> str | None:
        """The patient's own time zone (sharing's patient table) for day-based rules."""
        with sessions() as session:
            known = session.get(Patient, patient)
            return known.time_zone if known else None

    engine = Engine(
        rules,
        zone_of=zone_of,
        history=history,
        store=SqlAlertStore(sessions),
        targets=DbTargets(sessions, rules),
        cache_ttl_s=settings.cache_ttl_s,
        shared=SqlReadingLog(sessions),
    )
    reachable = channels(settings, client)
    dispatcher = Dispatcher(
        sessions,
        reachable,
        SharingDirectory(contacts(settings)),
        link=settings.link,
        escalate_after=timedelta(minutes=settings.escalate_after_min),
    )
    admission = Admission(DbAuthority(sessions), now=clock.now, count_refusals=False)
    technical = partial(report_refusals, sessions, reachable, contacts(settings).get(TECHNICAL, []))
    return Worker(engine, dispatcher, clock, admission, technical)


#: Readings judged together at most (what waits in the inbox, not a wait for more).
BATCH = 500


def _waiting(inbox: queue.Queue[tuple[str, bytes]], most: int) -> list[tuple[str, bytes]]:
    """The next payload (waiting up to 0.2 s), and whatever else is already queued."""
    try:
        payloads = [inbox.get(timeout=0.2)]
    except queue.Empty:
        return []
    while len(payloads) < most:
        try:
            payloads.append(inbox.get_nowait())
        except queue.Empty:
            break
    return payloads


def run(
    settings: AlertsSettings,
    broker: BrokerSettings,
    clock: Clock | None = None,
    stop: threading.Event | None = None,
    store: SeriesStore | None = None,
    subscribed: threading.Event | None = None,
) -> None:
    """Consume readings until interrupted (or ``stop`` is set); ``subscribed`` is set once
    the broker has confirmed the subscription (tests and the demo wait on it)."""
    stop = stop or threading.Event()
    clock = clock or SystemClock()
    client_id = settings.client_id or f"veille-alerts-{socket.gethostname()}-{os.getpid()}"
    conn = connection(broker, client_id, persistent=True)
    inbox: queue.Queue[tuple[str, bytes]] = queue.Queue(maxsize=10_000)
    every = topics.ALL_READINGS
    topic = topics.shared(settings.group, every) if conn.is_v5 else every

    def on_connect(client: paho.Client, _u: Any, _f: Any, rc: Any, _p: Any) -> None:
        client.subscribe(topic, qos=1)
        log.info("alerts_subscribed", topic=topic)

    def on_subscribe(_c: paho.Client, _u: Any, _mid: int, codes: Any, _p: Any) -> None:
        if subscribed is not None and not any(getattr(c, "is_failure", False) for c in codes):
            subscribed.set()

    def on_message(_c: paho.Client, _u: Any, message: paho.MQTTMessage) -> None:
        inbox.put((message.topic, bytes(message.payload)))

    conn.client.on_connect = on_connect
    conn.client.on_subscribe = on_subscribe
    conn.client.on_message = on_message
    worker = build(settings, conn.client, clock, store)
    conn.connect_async()
    last_tick = 0.0
    try:
        while not stop.is_set():
            payloads = _waiting(inbox, BATCH)
            try:
                if payloads:
                    worker.handle_many([p for _t, p in payloads], [t for t, _p in payloads])
                stamp = clock.now().timestamp()
                if stamp - last_tick >= settings.tick_s:
                    worker.housekeeping()
                    last_tick = stamp
            except Exception as err:  # noqa: BLE001 - the supervisor loop: log, back off, go on
                log.error("alerts_worker_error", error=type(err).__name__)
                time.sleep(1.0)
    finally:
        conn.close()


def main(args: argparse.Namespace) -> int:
    logs.configure()
    config = Path(args.config) if getattr(args, "config", None) else None
    try:
        overrides: dict[str, Any] = {}
        if args.rules:
            overrides["rules"] = str(args.rules)
        if args.database:
            overrides["database"] = args.database
        if args.group:
            overrides["group"] = args.group
        loaded = load_section(AlertsSettings, "alerts", config)
        settings = AlertsSettings.model_validate({**loaded.model_dump(), **overrides})
        broker = load_section(BrokerSettings, "broker", config)
        readings = open_store(load_section(StoreSettings, "store", config))
        try:
            run(settings, broker, store=readings)
        finally:
            readings.close()
    except VeilleError as err:
        print(f"veille alerts run: {err}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 0
    return 0
