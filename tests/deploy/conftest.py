"""Fixtures of the deployment tests: the shipped broker and its accounts."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest
from paho.mqtt.enums import MQTTProtocolVersion

from tests.deploy.broker import Peer, ShippedBroker

#: Password-listener accounts; each also gets a certificate from make-certs.sh.
ACCOUNTS = {
    "gw-a": "pw-a",
    "gw-b": "pw-b",
    "collector": "pw-c",
    "rules": "pw-r",
    "web": "pw-w",
    "healthcheck": "pw-h",
}


@pytest.fixture(scope="module")
def broker(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ShippedBroker]:
    server = ShippedBroker(tmp_path_factory.mktemp("shipped-mosquitto"), ACCOUNTS)
    server.start()
    yield server
    server.stop()


@pytest.fixture
def connect(broker: ShippedBroker) -> Iterator[Callable[..., Peer]]:
    """Connect an account by password (default) or by its certificate (`tls=True`)."""
    peers: list[Peer] = []

    def _connect(
        name: str,
        *,
        tls: bool = False,
        client_id: str | None = None,
        protocol: MQTTProtocolVersion = MQTTProtocolVersion.MQTTv5,
        session_expiry_s: int = 0,
    ) -> Peer:
        peer = Peer(name, client_id=client_id, protocol=protocol)
        peers.append(peer)
        ca = broker.certs / "ca.crt"
        if tls:
            cert = broker.certs / f"{name}.crt"
            return peer.connect(
                broker.tls_port, ca=ca, cert=cert, session_expiry_s=session_expiry_s
            )
        return peer.connect(
            broker.password_port, password=ACCOUNTS[name], ca=ca, session_expiry_s=session_expiry_s
        )

    yield _connect
    for peer in peers:
        peer.close()
