"""Notifiers against real loopback servers: retries, once-only delivery, quiet hours, escalation."""

from __future__ import annotations

import json
import threading
import time as systime
from collections.abc import Iterator
from datetime import UTC, datetime, time, timedelta
from email.message import Message
from pathlib import Path
from zoneinfo import ZoneInfo

import paho.mqtt.client as paho
import pytest
from paho.mqtt.enums import CallbackAPIVersion
from sqlalchemy.orm import Session, sessionmaker

from alerts.engine import Engine
from alerts.lifecycle import AlertRecord, Transition
from alerts.notify.apprise_channel import AppriseChannel
from alerts.notify.base import DeliveryFailed, Note
from alerts.notify.dispatch import Address, Audience, Dispatcher, Quiet, quiet_until
from alerts.notify.email import EmailChannel
from alerts.notify.mqtt import MqttChannel
from alerts.notify.webhook import DELIVERY, SIGNATURE, TIMESTAMP, WebhookChannel, verify
from alerts.ruleset import load_rules
from alerts.sqlstore import SqlAlertStore
from devices.reading import Kind
from tests.alerts.conftest import wire
from tests.alerts.servers import SmtpServer, http_receiver
from tests.support.mosquitto import Mosquitto
from tests.support.waits import wait_until
from veille.db import create_schema, make_engine, session_factory
from wire import topics
from wire.alert import AlertMessage

SECRET = b"0123456789abcdef-test-secret"
LINK = "https://veille.example/alerts"
PARIS = ZoneInfo("Europe/Paris")


class Fixed:
    """A directory with fixed audiences (the sharing lookup has its own tests)."""

    def __init__(self, *audiences: Audience) -> None:
        self.list = list(audiences)
        self.allowed = True

    def audiences(self, session: Session, alert: AlertRecord, now: datetime) -> list[Audience]:
        return self.list

    def still_allowed(self, session: Session, alert: AlertRecord, key: str, now: datetime) -> bool:
        return self.allowed


@pytest.fixture
def sessions(tmp_path: Path) -> sessionmaker[Session]:
    db = make_engine(f"sqlite:///{tmp_path}/alerts.db")
    create_schema(db)
    return session_factory(db)


@pytest.fixture
def smtp() -> Iterator[SmtpServer]:
    server = SmtpServer()
    yield server
    server.stop()


def raise_alert(
    sessions: sessionmaker[Session], at: datetime, value: float = 3.5, patient: str = "p-1"
) -> list[Transition]:
    engine = Engine(load_rules(), store=SqlAlertStore(sessions))
    return engine.on_reading(wire(Kind.GLUCOSE, at, patient=patient, glucose_mmol_l=value), at)


def test_webhook_that_fails_then_recovers_delivers_once(
    sessions: sessionmaker[Session], t0: datetime
) -> None:
    with http_receiver([500, 503]) as hook:
        directory = Fixed(Audience("team:1", (Address("webhook", hook.url),)))
        dispatcher = Dispatcher(
            sessions, {"webhook": WebhookChannel(SECRET)}, directory, link=LINK, backoff_s=30
        )
        changes = raise_alert(sessions, t0)
        assert dispatcher.enqueue(changes, t0) == 1
        assert dispatcher.deliver_due(t0).retrying == 1
        assert dispatcher.deliver_due(t0 + timedelta(seconds=10)).sent == 0  # backing off
        assert dispatcher.deliver_due(t0 + timedelta(seconds=31)).retrying == 1
        assert dispatcher.deliver_due(t0 + timedelta(seconds=60)).sent == 0  # 60 s after 2nd
        assert dispatcher.deliver_due(t0 + timedelta(seconds=92)).sent == 1
        assert dispatcher.deliver_due(t0 + timedelta(hours=2)).sent == 0
        assert len(hook.requests) == 3
        assert len(hook.accepted) == 1
        got = hook.accepted[0]
        assert verify(
            SECRET, got.headers[TIMESTAMP], got.body, got.headers[SIGNATURE], systime.time()
        )
        assert not verify(
            SECRET, got.headers[TIMESTAMP], got.body + b" ", got.headers[SIGNATURE], systime.time()
        )
        assert not verify(
            SECRET, got.headers[TIMESTAMP], got.body, got.headers[SIGNATURE], systime.time() + 3600
        )
        # the same delivery id on every attempt, so the receiver can drop a duplicate
        assert {r.headers[DELIVERY] for r in hook.requests} == {got.headers[DELIVERY]}
        payload = json.loads(got.body)
        assert (payload["category"], payload["patient"]) == ("hypoglycemia", "p-1")
    [row] = dispatcher.deliveries(changes[0].alert.id)
    assert (row.status, row.attempts, row.sent_at) == ("sent", 3, t0 + timedelta(seconds=92))


def test_email_fails_then_recovers_delivered_once_without_health_data(
    sessions: sessionmaker[Session], smtp: SmtpServer, t0: datetime
) -> None:
    directory = Fixed(Audience("professional:3", (Address("email", "nurse@example.org", "en"),)))
    channel = EmailChannel("127.0.0.1", smtp.port, "veille@example.org", timeout_s=3)
    dispatcher = Dispatcher(sessions, {"email": channel}, directory, link=LINK)
    changes = raise_alert(sessions, t0, value=3.4)
    dispatcher.enqueue(changes, t0)
    assert dispatcher.deliver_due(t0).retrying == 1  # the SMTP server is down
    [row] = dispatcher.deliveries(changes[0].alert.id)
    assert row.status == "pending"
    assert row.last_error  # visible, not silent
    smtp.start()
    assert dispatcher.deliver_due(t0 + timedelta(minutes=1)).sent == 1
    assert dispatcher.deliver_due(t0 + timedelta(minutes=30)).sent == 0
    [mail] = smtp.messages
    text = mail_text(mail)
    assert LINK in text
    assert leaks(text.lower(), "p-1", "3.4", "glucose") == set()


def leaks(text: str, *secrets: str) -> set[str]:
    return {secret for secret in secrets if secret in text}


def mail_text(mail: Message) -> str:
    body = mail.get_payload(decode=True)
    assert isinstance(body, bytes)
    return f"{mail['Subject']}\n{body.decode()}"


def test_a_delivery_that_keeps_failing_ends_failed_and_visible(
    sessions: sessionmaker[Session], t0: datetime
) -> None:
    with http_receiver([500] * 10) as hook:
        directory = Fixed(Audience("team:1", (Address("webhook", hook.url),)))
        dispatcher = Dispatcher(
            sessions, {"webhook": WebhookChannel(SECRET)}, directory, link=LINK, max_attempts=3
        )
        changes = raise_alert(sessions, t0)
        dispatcher.enqueue(changes, t0)
        reports = [dispatcher.deliver_due(t0 + timedelta(hours=h)) for h in range(5)]
    assert [r.failed for r in reports] == [0, 0, 1, 0, 0]
    [row] = dispatcher.deliveries(changes[0].alert.id)
    assert (row.status, row.attempts) == ("failed", 3)
    assert "HTTP 500" in (row.last_error or "")


def test_quiet_hours_follow_the_team_zone_across_dst(t0: datetime) -> None:
    quiet = Quiet(PARIS, time(22, 0), time(7, 0))
    # Saturday 28 March 2026, 23:30 in Paris (UTC+1); the night the clocks go forward
    night = datetime(2026, 3, 28, 22, 30, tzinfo=UTC)
    assert quiet_until(night, quiet) == datetime(2026, 3, 29, 5, 0, tzinfo=UTC)  # 07:00 CEST
    # the autumn night: 24 October 23:30 CEST -> 07:00 CET on the 25th
    autumn = datetime(2026, 10, 24, 21, 30, tzinfo=UTC)
    assert quiet_until(autumn, quiet) == datetime(2026, 10, 25, 6, 0, tzinfo=UTC)
    assert quiet_until(datetime(2026, 3, 29, 5, 0, tzinfo=UTC), quiet) is None
    assert quiet_until(datetime(2026, 3, 29, 4, 59, tzinfo=UTC), quiet) is not None
    day_only = Quiet(PARIS, time(12, 0), time(14, 0))
    assert quiet_until(datetime(2026, 7, 1, 10, 30, tzinfo=UTC), day_only) == datetime(
        2026, 7, 1, 12, 0, tzinfo=UTC
    )


def test_quiet_hours_hold_all_but_urgent_then_send_one_digest(
    sessions: sessionmaker[Session], smtp: SmtpServer
) -> None:
    smtp.start()
    quiet = Quiet(PARIS, time(22, 0), time(7, 0))
    directory = Fixed(Audience("team:1", (Address("email", "team@example.org", "fr"),), quiet))
    channel = EmailChannel("127.0.0.1", smtp.port, "veille@example.org", timeout_s=3)
    dispatcher = Dispatcher(sessions, {"email": channel}, directory, link=LINK)
    night = datetime(2026, 3, 28, 22, 30, tzinfo=UTC)
    dispatcher.enqueue(raise_alert(sessions, night, 3.6, "p-1"), night)  # warning
    dispatcher.enqueue(raise_alert(sessions, night, 3.7, "p-2"), night)  # warning
    dispatcher.enqueue(raise_alert(sessions, night, 2.5, "p-3"), night)  # urgent
    assert dispatcher.deliver_due(night).sent == 1
    assert dispatcher.deliver_due(datetime(2026, 3, 29, 4, 59, tzinfo=UTC)).sent == 0
    assert dispatcher.deliver_due(datetime(2026, 3, 29, 5, 0, tzinfo=UTC)).sent == 2
    assert len(smtp.messages) == 2
    digest = mail_text(smtp.messages[1])
    assert "2 alertes" in digest
    assert LINK in digest


def test_unacknowledged_urgent_alert_escalates_to_the_next_on_call(
    sessions: sessionmaker[Session], smtp: SmtpServer, t0: datetime
) -> None:
    smtp.start()
    first = (Address("email", "first@example.org"),)
    second = (Address("email", "second@example.org"),)
    third = (Address("email", "third@example.org"),)
    directory = Fixed(Audience("team:1", first, None, (second, third)))
    channel = EmailChannel("127.0.0.1", smtp.port, "veille@example.org", timeout_s=3)
    dispatcher = Dispatcher(
        sessions, {"email": channel}, directory, link=LINK, escalate_after=timedelta(minutes=15)
    )
    changes = raise_alert(sessions, t0, 2.5)
    dispatcher.enqueue(changes, t0)
    dispatcher.deliver_due(t0)
    assert dispatcher.escalate(t0 + timedelta(minutes=10)) == 0
    assert dispatcher.escalate(t0 + timedelta(minutes=16)) == 1
    assert dispatcher.escalate(t0 + timedelta(minutes=17)) == 0
    dispatcher.deliver_due(t0 + timedelta(minutes=17))
    SqlAlertStore(sessions).acknowledge(changes[0].alert.id, "second", t0 + timedelta(minutes=20))
    assert dispatcher.escalate(t0 + timedelta(minutes=40)) == 0  # acknowledged: stop
    assert [m["To"] for m in smtp.messages] == ["first@example.org", "second@example.org"]


def test_a_withdrawn_grant_stops_a_pending_delivery(
    sessions: sessionmaker[Session], t0: datetime
) -> None:
    with http_receiver([500]) as hook:
        directory = Fixed(Audience("team:1", (Address("webhook", hook.url),)))
        dispatcher = Dispatcher(sessions, {"webhook": WebhookChannel(SECRET)}, directory, link=LINK)
        changes = raise_alert(sessions, t0)
        dispatcher.enqueue(changes, t0)
        dispatcher.deliver_due(t0)
        directory.allowed = False
        assert dispatcher.deliver_due(t0 + timedelta(hours=1)).withdrawn == 1
        assert len(hook.requests) == 1
    [row] = dispatcher.deliveries(changes[0].alert.id)
    assert row.status == "withdrawn"


# apprise's e-mail plugin imports the stdlib's imghdr, deprecated in 3.11: theirs, harmless
@pytest.mark.filterwarnings("ignore:'imghdr' is deprecated:DeprecationWarning")
def test_apprise_channel_carries_no_health_value(
    sessions: sessionmaker[Session], t0: datetime
) -> None:
    with http_receiver() as hook:
        target = f"json://127.0.0.1:{hook.port}/hook"
        directory = Fixed(Audience("professional:3", (Address("apprise", target, "en"),)))
        dispatcher = Dispatcher(sessions, {"apprise": AppriseChannel()}, directory, link=LINK)
        changes = raise_alert(sessions, t0, 3.3)
        dispatcher.enqueue(changes, t0)
        assert dispatcher.deliver_due(t0).sent == 1
        [got] = hook.requests
    body = got.body.decode()
    assert LINK in body
    assert leaks(body, "p-1", "3.3", "hypoglycemia") == set()


@pytest.mark.integration
def test_mqtt_channel_publishes_on_the_severity_topic(
    sessions: sessionmaker[Session], mosquitto: Mosquitto, t0: datetime
) -> None:
    received: list[paho.MQTTMessage] = []
    listener = paho.Client(CallbackAPIVersion.VERSION2, client_id="listener")
    listener.on_message = lambda _c, _u, message: received.append(message)
    listening, connected = threading.Event(), threading.Event()
    listener.on_subscribe = lambda *_a: listening.set()
    listener.connect("127.0.0.1", mosquitto.port)
    listener.subscribe(topics.ALL_ALERTS, qos=1)
    listener.loop_start()
    publisher = paho.Client(CallbackAPIVersion.VERSION2, client_id="alerts")
    publisher.on_connect = lambda *_a: connected.set()
    publisher.connect("127.0.0.1", mosquitto.port)
    publisher.loop_start()
    try:
        assert listening.wait(10), "the listener did not subscribe"
        assert connected.wait(10), "the publisher did not connect"
        directory = Fixed(Audience("team:1", (Address("mqtt", ""),)))
        dispatcher = Dispatcher(sessions, {"mqtt": MqttChannel(publisher)}, directory, link=LINK)
        dispatcher.enqueue(raise_alert(sessions, t0, 2.5), t0)
        assert dispatcher.deliver_due(t0).sent == 1
        wait_until(lambda: received, 5, "the alert on MQTT")
    finally:
        listener.loop_stop()
        publisher.loop_stop()
        listener.disconnect()
        publisher.disconnect()
    [message] = received
    assert message.topic == topics.alert("urgent")
    assert json.loads(message.payload)["category"] == "severe_hypoglycemia"


def test_snoozing_one_alert_stops_its_escalation_only(
    sessions: sessionmaker[Session], smtp: SmtpServer, t0: datetime
) -> None:
    smtp.start()
    second = (Address("email", "second@example.org"),)
    directory = Fixed(Audience("team:1", (Address("email", "first@example.org"),), None, (second,)))
    channel = EmailChannel("127.0.0.1", smtp.port, "veille@example.org", timeout_s=3)
    dispatcher = Dispatcher(sessions, {"email": channel}, directory, link=LINK)
    store = SqlAlertStore(sessions)
    engine = Engine(load_rules(), store=store)
    hypo = engine.on_reading(wire(Kind.GLUCOSE, t0, glucose_mmol_l=2.4), t0)
    crisis = engine.on_reading(
        wire(Kind.BLOOD_PRESSURE, t0, systolic_mmhg=200, diastolic_mmhg=120), t0
    )
    store.snooze(hypo[0].alert.id, t0 + timedelta(hours=1), "first", t0 + timedelta(minutes=5))
    assert dispatcher.escalate(t0 + timedelta(minutes=16)) == 1
    [escalated] = [
        row
        for alert in (hypo[0].alert, crisis[0].alert)
        for row in dispatcher.deliveries(alert.id)
        if row.change == "escalated_on_call"
    ]
    assert escalated.alert_id == crisis[0].alert.id
    assert store.get(hypo[0].alert.id).status.value == "open"  # snoozed, not acknowledged
    assert dispatcher.escalate(t0 + timedelta(minutes=61)) == 1  # the snooze ran out


@pytest.mark.integration
def test_mqtt_channel_reports_a_refusal_by_the_broker(tmp_path: Path, t0: datetime) -> None:
    """An MQTT 5 broker that answers PUBACK 0x87 has not delivered the alert."""
    acl = tmp_path / "acl"
    acl.write_text("topic read veille/#\n")  # anonymous clients may read, never write
    with Mosquitto(tmp_path / "broker", extra_config=f"acl_file {acl}") as broker:
        publisher = paho.Client(
            CallbackAPIVersion.VERSION2, client_id="alerts", protocol=paho.MQTTv5
        )
        publisher.connect("127.0.0.1", broker.port)
        publisher.loop_start()
        try:
            channel = MqttChannel(publisher, timeout_s=5)
            note = Note(delivery_id="d-1", title="t", body="b", payload=_urgent())
            with pytest.raises(DeliveryFailed, match="refused by the broker"):
                channel.send("", note)
        finally:
            publisher.loop_stop()
            publisher.disconnect()


def _urgent() -> AlertMessage:
    return AlertMessage(
        delivery="d-1",
        alert="a" * 32,
        change="opened",
        patient="p-1",
        category="severe_hypoglycemia",
        severity="urgent",
        status="open",
        opened_at=datetime(2026, 1, 1, tzinfo=UTC),
        message="glucose 2.9 mmol/L",
        rule="glucose_level2_hypo",
        rules_version="1",
        link="http://localhost/alerts",
    )
