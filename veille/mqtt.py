"""MQTT plumbing shared by the gateway, the collector and the rule workers.

The broker settings and a client factory that speaks MQTT 5 when the broker offers it
and falls back to 3.1.1 (the demo's embedded amqtt speaks only 3.1.1).
paho's error codes are turned into `VeilleError`s here, at the edge. Topics and
messages are the wire's (`wire.topics`): this module carries bytes, it does not
name them.
"""

from __future__ import annotations

import socket
import ssl
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal
from urllib.parse import urlsplit

import paho.mqtt.client as paho
from paho.mqtt.enums import CallbackAPIVersion, MQTTProtocolVersion
from paho.mqtt.packettypes import PacketTypes
from paho.mqtt.properties import Properties
from pydantic import BaseModel, ConfigDict, Field, field_validator

from veille.errors import ConfigError, VeilleError


class BrokerUnavailable(VeilleError):
    """The broker cannot be reached or refused the connection."""


# --- settings ---------------------------------------------------------------


class BrokerSettings(BaseModel):
    """Where the broker is and how to prove who we are. Secrets come from files."""

    model_config = ConfigDict(extra="forbid")

    url: str = "mqtt://127.0.0.1:1883"
    username: str | None = None
    password_file: Path | None = None
    ca_file: Path | None = None
    cert_file: Path | None = None
    key_file: Path | None = None
    protocol: Literal["auto", "5", "3.1.1"] = "auto"
    keepalive_s: int = Field(default=30, ge=5, le=3600)

    @field_validator("protocol", mode="before")
    @classmethod
    def _protocol_as_text(cls, value: object) -> object:
        """`VEILLE_BROKER__PROTOCOL=5` arrives as the number 5; it means "5"."""
        return str(value) if isinstance(value, int | float) else value

    def endpoint(self) -> tuple[str, int, bool]:
        """(host, port, tls) from the URL: mqtt:// is plain, mqtts:// is TLS."""
        parts = urlsplit(self.url)
        if parts.scheme not in ("mqtt", "mqtts", "tcp", "ssl"):
            raise ConfigError(f"broker.url {self.url!r}: use mqtt://host:port or mqtts://host:port")
        tls = parts.scheme in ("mqtts", "ssl")
        return parts.hostname or "127.0.0.1", parts.port or (8883 if tls else 1883), tls

    def password(self) -> str | None:
        if self.password_file is None:
            return None
        try:
            return self.password_file.read_text().strip()
        except OSError as err:
            raise ConfigError(f"broker.password_file: cannot read it ({err.strerror})") from err


# --- connection -------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Will:
    topic: str
    payload: bytes
    retain: bool = True
    qos: int = 1


def _connack_ok(reason_code: Any) -> bool:
    return not bool(getattr(reason_code, "is_failure", reason_code != 0))


def negotiate_protocol(settings: BrokerSettings, timeout_s: float = 5.0) -> MQTTProtocolVersion:
    """MQTT 5 if the broker accepts it, else 3.1.1; honours a fixed setting.

    A broker that only speaks 3.1.1 answers a version-5 CONNECT with a refusal
    or by closing the socket, so one short probe connection tells which.
    """
    if settings.protocol == "5":
        return MQTTProtocolVersion.MQTTv5
    if settings.protocol == "3.1.1":
        return MQTTProtocolVersion.MQTTv311
    outcome: dict[str, bool] = {}
    done = threading.Event()

    def on_connect(client: paho.Client, _u: Any, _f: Any, rc: Any, _p: Any) -> None:
        outcome["ok"] = _connack_ok(rc)
        done.set()

    def on_disconnect(client: paho.Client, _u: Any, _f: Any, rc: Any, _p: Any) -> None:
        outcome.setdefault("ok", False)
        done.set()

    probe = _new_client(settings, "", MQTTProtocolVersion.MQTTv5, clean=True)
    probe.on_connect = on_connect
    probe.on_disconnect = on_disconnect
    host, port, _tls = settings.endpoint()
    try:
        probe.connect(host, port, keepalive=settings.keepalive_s)
    except (OSError, ssl.SSLError) as err:
        raise BrokerUnavailable(f"broker {host}:{port} unreachable: {err}") from err
    probe.loop_start()
    try:
        done.wait(timeout_s)
    finally:
        probe.disconnect()
        probe.loop_stop()
    if outcome.get("ok"):
        return MQTTProtocolVersion.MQTTv5
    return MQTTProtocolVersion.MQTTv311


def _new_client(
    settings: BrokerSettings,
    client_id: str,
    protocol: MQTTProtocolVersion,
    *,
    clean: bool,
    client_class: type[paho.Client] = paho.Client,
) -> paho.Client:
    kwargs: dict[str, Any] = {"client_id": client_id, "protocol": protocol}
    if protocol != MQTTProtocolVersion.MQTTv5:
        kwargs["clean_session"] = clean
    client = client_class(CallbackAPIVersion.VERSION2, **kwargs)
    if settings.username:
        client.username_pw_set(settings.username, settings.password())
    _host, _port, tls = settings.endpoint()
    if tls:
        try:
            client.tls_set(
                ca_certs=str(settings.ca_file) if settings.ca_file else None,
                certfile=str(settings.cert_file) if settings.cert_file else None,
                keyfile=str(settings.key_file) if settings.key_file else None,
                tls_version=ssl.PROTOCOL_TLS_CLIENT,
            )
        except (OSError, ssl.SSLError) as err:
            raise ConfigError(f"broker TLS files: {err}") from err
    return client


@dataclass(slots=True)
class Connection:
    """A configured paho client and the protocol it will speak."""

    client: paho.Client
    protocol: MQTTProtocolVersion
    host: str
    port: int
    keepalive_s: int
    persistent: bool
    session_expiry_s: int
    #: MQTT 5: how many unacknowledged QoS 1 messages the broker may send us at once.
    receive_maximum: int | None = None

    @property
    def is_v5(self) -> bool:
        return self.protocol == MQTTProtocolVersion.MQTTv5

    def connect_async(self) -> None:
        """Connect in paho's network thread, which reconnects with backoff on its own."""
        props: Properties | None = None
        clean_start: bool | Literal[3] = paho.MQTT_CLEAN_START_FIRST_ONLY
        if self.is_v5:
            props = Properties(PacketTypes.CONNECT)  # type: ignore[no-untyped-call]
            if self.persistent:
                # MQTT 5: without an expiry above zero the session dies with the socket.
                props.SessionExpiryInterval = self.session_expiry_s
                clean_start = False
            if self.receive_maximum is not None:
                props.ReceiveMaximum = self.receive_maximum
        self.client.reconnect_delay_set(min_delay=1, max_delay=30)
        if self.is_v5:
            self.client.connect_async(
                self.host, self.port, self.keepalive_s, clean_start=clean_start, properties=props
            )
        else:
            self.client.connect_async(self.host, self.port, self.keepalive_s)
        self.client.loop_start()

    def close(self) -> None:
        self.client.disconnect()
        self.client.loop_stop()


def connection(
    settings: BrokerSettings,
    client_id: str,
    *,
    persistent: bool,
    will: Will | None = None,
    session_expiry_s: int = 7 * 24 * 3600,
    protocol: MQTTProtocolVersion | None = None,
    receive_maximum: int | None = None,
    client_class: type[paho.Client] = paho.Client,
) -> Connection:
    """A client for ``client_id``; ``persistent`` keeps the broker-side session
    (and the QoS 1 messages queued in it) across disconnects. ``client_class``: a
    `paho.Client` subclass (the collector's batching client)."""
    if protocol is None:
        protocol = negotiate_protocol(settings)
    client = _new_client(
        settings, client_id, protocol, clean=not persistent, client_class=client_class
    )
    if will is not None:
        client.will_set(will.topic, will.payload, qos=will.qos, retain=will.retain)
    host, port, _tls = settings.endpoint()
    return Connection(
        client=client,
        protocol=protocol,
        host=host,
        port=port,
        keepalive_s=settings.keepalive_s,
        persistent=persistent,
        session_expiry_s=session_expiry_s,
        receive_maximum=receive_maximum,
    )


class PublishOutcomes:
    """Reason codes of PUBACKs, by message id.

    paho marks a message "published" even when an MQTT 5 broker answered
    0x80 or above (0x87 not authorised): this keeps what the broker said so
    a caller can tell a refusal from a delivery. Attach once per client;
    an `on_publish` already set keeps being called.
    """

    def __init__(self, client: paho.Client) -> None:
        self._refused: dict[int, str] = {}
        self._lock = threading.Lock()
        previous: Any = client.on_publish

        def on_publish(c: paho.Client, userdata: Any, mid: int, reason: Any, props: Any) -> None:
            if bool(getattr(reason, "is_failure", False)):
                with self._lock:
                    self._refused[mid] = str(reason)
            if previous is not None:
                previous(c, userdata, mid, reason, props)

        client.on_publish = on_publish

    def refusal(self, mid: int) -> str | None:
        """The broker's refusal of message ``mid`` (forgotten once read), or None."""
        with self._lock:
            return self._refused.pop(mid, None)


def free_port() -> int:
    """A free TCP port on loopback (for embedded brokers and tests)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port
