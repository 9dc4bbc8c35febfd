"""The shipped mosquitto configuration, run for real on loopback.

`ShippedBroker`, the suite's `Mosquitto` launcher with another config, renders
`deploy/mosquitto/mosquitto.conf` with only its ports
and file paths rewritten (every rewrite must match exactly once, so a reshaped
config fails here rather than being tested half-way) and points `acl_file` at
the shipped ACL itself, not a copy. Certificates come from the shipped
`make-certs.sh`; passwords from Debian's `mosquitto_passwd`.

`Peer` is a paho 2.x MQTT 5 client with blocking helpers that return the
broker's real reason codes (CONNACK, PUBACK, SUBACK).
"""

from __future__ import annotations

import os
import queue
import ssl
import subprocess
import threading
import time
from pathlib import Path
from typing import Any

import paho.mqtt.client as paho
from paho.mqtt.enums import CallbackAPIVersion, MQTTProtocolVersion
from paho.mqtt.packettypes import PacketTypes
from paho.mqtt.properties import Properties

from tests.support.mosquitto import Mosquitto
from veille.mqtt import free_port

DEPLOY = Path(__file__).resolve().parents[2] / "deploy" / "mosquitto"
SHIPPED_CONF = DEPLOY / "mosquitto.conf"
SHIPPED_ACL = DEPLOY / "acl"
PASSWORD_LISTENER = DEPLOY / "conf.d" / "password-listener.conf"
MAKE_CERTS = DEPLOY / "make-certs.sh"
WAIT_S = 5.0


def render(text: str, rewrites: dict[str, str]) -> str:
    """``text`` with each key replaced by its value; each key must occur exactly once."""
    for old, new in rewrites.items():
        count = text.count(old)
        if count != 1:
            raise AssertionError(
                f"the shipped config has {count} occurrences of {old!r}, expected 1: "
                "update tests/deploy/broker.py together with the config"
            )
        text = text.replace(old, new)
    return text


def make_certs(out: Path, *names: str, hosts: tuple[str, ...] = ("localhost", "127.0.0.1")) -> Path:
    args = ["bash", str(MAKE_CERTS), "-o", str(out)]
    for host in hosts:
        args += ["-H", host]
    subprocess.run([*args, *names], check=True, capture_output=True)
    return out


class ShippedBroker(Mosquitto):
    """The shared test broker's lifecycle, running the shipped configuration.

    Listens on ``port`` (the certificate listener, 8883 in production) and
    ``password_port`` (8884); `start` returns once both accept connections.
    """

    def __init__(
        self,
        workdir: Path,
        accounts: dict[str, str],
        *,
        password_accounts: bool = True,
        password_file: Path | None = None,
    ) -> None:
        super().__init__(workdir)
        self.accounts = accounts
        #: False: the password file as shipped, empty (no account may sign in by password).
        self.password_accounts = password_accounts
        #: A password file made elsewhere (add-gateway-password.sh) instead of ``accounts``.
        self.password_file = password_file
        self.password_port = free_port()

    @property
    def tls_port(self) -> int:
        return self.port

    def listen_ports(self) -> list[int]:
        return [self.port, self.password_port]

    @property
    def certs(self) -> Path:
        return self.workdir / "certs"

    @property
    def log(self) -> str:
        return self.log_file.read_text() if self.log_file.exists() else ""

    def _write_config(self) -> None:
        """The shipped config, ports and paths rewritten; `Mosquitto.start` runs it."""
        make_certs(self.certs, *self.accounts)
        passwords = self.password_file or self.workdir / "passwords"
        passwords.touch(mode=0o600)
        wanted = self.password_accounts and self.password_file is None
        for name, secret in self.accounts.items() if wanted else ():
            subprocess.run(
                ["mosquitto_passwd", "-b", str(passwords), name, secret],
                check=True,
                capture_output=True,
            )
        conf_d = self.workdir / "conf.d"
        conf_d.mkdir(exist_ok=True)
        files = {
            "/run/secrets/mqtt_ca": str(self.certs / "ca.crt"),
            "/run/secrets/mqtt_broker_cert": str(self.certs / "broker.crt"),
            "/run/secrets/mqtt_broker_key": str(self.certs / "broker.key"),
        }
        (conf_d / "password-listener.conf").write_text(
            render(
                PASSWORD_LISTENER.read_text(),
                {
                    "listener 8884\n": f"listener {self.password_port} 127.0.0.1\n",
                    "/run/secrets/mqtt_passwords": str(passwords),
                    **files,
                },
            )
        )
        data = self.workdir / "data"
        data.mkdir(exist_ok=True)
        conf = render(
            SHIPPED_CONF.read_text(),
            {
                "listener 8883\n": f"listener {self.port} 127.0.0.1\n",
                "acl_file /mosquitto/config/acl\n": f"acl_file {SHIPPED_ACL}\n",
                "/mosquitto/data/": f"{data}/",
                "log_dest stdout\n": f"log_dest file {self.log_file}\n",
                "include_dir /mosquitto/config/conf.d\n": f"include_dir {conf_d}\n",
                **files,
            },
        )
        if os.geteuid() == 0:  # as root mosquitto would drop to a user that cannot read tmp
            conf += "\nuser root\n"
        self.config_file.write_text(conf)


class Refused(Exception):
    """The broker (or the TLS handshake) did not let the client in."""


class Peer:
    """One MQTT client; every call blocks until the broker has answered."""

    def __init__(
        self,
        name: str,
        *,
        client_id: str | None = None,
        protocol: MQTTProtocolVersion = MQTTProtocolVersion.MQTTv5,
    ):
        self.name = name
        self.protocol = protocol
        self.client = paho.Client(
            CallbackAPIVersion.VERSION2, client_id=client_id or name, protocol=protocol
        )
        self.messages: queue.Queue[tuple[str, bytes]] = queue.Queue()
        self._acks: dict[int, int] = {}
        self._acked = threading.Condition()
        self._connack: int | None = None
        self._gone = threading.Event()
        self.client.on_connect = self._on_connect
        self.client.on_disconnect = self._on_disconnect
        self.client.on_publish = self._on_publish
        self.client.on_subscribe = self._on_subscribe
        self.client.on_message = lambda _c, _u, msg: self.messages.put(
            (msg.topic, bytes(msg.payload))
        )

    # callbacks run in paho's network thread
    def _on_connect(self, _c: Any, _u: Any, _f: Any, rc: Any, _p: Any) -> None:
        with self._acked:
            self._connack = int(rc.value)
            self._acked.notify_all()

    def _on_disconnect(self, _c: Any, _u: Any, _f: Any, _rc: Any, _p: Any) -> None:
        with self._acked:
            self._gone.set()
            self._acked.notify_all()

    def _on_publish(self, _c: Any, _u: Any, mid: int, rc: Any, _p: Any) -> None:
        with self._acked:
            self._acks[mid] = int(rc.value)
            self._acked.notify_all()

    def _on_subscribe(self, _c: Any, _u: Any, mid: int, codes: list[Any], _p: Any) -> None:
        with self._acked:
            self._acks[mid] = max(int(code.value) for code in codes)
            self._acked.notify_all()

    def _await(self, ready: Any, what: str) -> None:
        with self._acked:
            if not self._acked.wait_for(lambda: ready() or self._gone.is_set(), WAIT_S):
                raise TimeoutError(f"{self.name}: no {what} within {WAIT_S} s")
            if not ready():
                raise Refused(f"{self.name}: connection closed while waiting for {what}")

    def connect(
        self,
        port: int,
        *,
        password: str | None = None,
        ca: Path | None = None,
        cert: Path | None = None,
        session_expiry_s: int = 0,
    ) -> Peer:
        """Connect and wait for a successful CONNACK; `Refused` otherwise.

        ``session_expiry_s`` > 0 asks for a persistent MQTT 5 session (clean start off).
        """
        if password is not None:
            self.client.username_pw_set(self.name, password)
        if ca is not None:
            key = cert.with_suffix(".key") if cert else None
            self.client.tls_set(
                ca_certs=str(ca),
                certfile=str(cert) if cert else None,
                keyfile=str(key) if key else None,
                tls_version=ssl.PROTOCOL_TLS_CLIENT,
            )
        extra: dict[str, Any] = {}
        if session_expiry_s:
            properties = Properties(PacketTypes.CONNECT)  # type: ignore[no-untyped-call]
            properties.SessionExpiryInterval = session_expiry_s
            extra = {"clean_start": False, "properties": properties}
        try:
            self.client.connect("127.0.0.1", port, keepalive=30, **extra)
        except (OSError, ssl.SSLError) as err:
            raise Refused(f"{self.name}: {err}") from err
        self.client.loop_start()
        try:
            self._await(lambda: self._connack is not None, "CONNACK")
            if self._connack != 0:
                raise Refused(f"{self.name}: CONNACK reason {self._connack:#x}")
        except (Refused, TimeoutError):
            self.client.loop_stop()
            raise
        return self

    def publish(self, topic: str, payload: bytes = b"{}", qos: int = 1) -> int:
        """The PUBACK reason code (MQTT 5): 0x00/0x10 success, 0x87 not authorized."""
        info = self.client.publish(topic, payload, qos=qos)
        self._await(lambda: info.mid in self._acks, f"PUBACK for {topic}")
        return self._acks.pop(info.mid)

    def subscribe(self, topic_filter: str, qos: int = 1) -> int:
        """The SUBACK reason code: the granted QoS, or >= 0x80 when refused."""
        _rc, mid = self.client.subscribe(topic_filter, qos=qos)
        assert mid is not None
        self._await(lambda: mid in self._acks, f"SUBACK for {topic_filter}")
        return self._acks.pop(mid)

    def received_until(
        self, topic: str, payload: bytes | None = None, timeout_s: float = WAIT_S
    ) -> list[tuple[str, bytes]]:
        """Messages received up to and including the first on ``topic`` (with
        ``payload``, when given), in order.

        A marker published after the message under test tells when the broker
        has had every chance to deliver it, so "nothing arrived" needs no sleep.
        """
        seen: list[tuple[str, bytes]] = []
        deadline = time.monotonic() + timeout_s
        while (left := deadline - time.monotonic()) > 0:
            try:
                message = self.messages.get(timeout=left)
            except queue.Empty:
                break
            seen.append(message)
            if message[0] == topic and payload in (None, message[1]):
                return seen
        raise TimeoutError(f"{self.name}: {topic} {payload!r} not received; got {seen}")

    def close(self) -> None:
        """Disconnect and wait until the socket is closed, so the broker knows."""
        self.client.disconnect()
        self._gone.wait(WAIT_S)
        self.client.loop_stop()
