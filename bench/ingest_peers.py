"""The processes bench/ingest.py starts: publishers of QoS 1 readings and a naive consumer.

python bench/ingest_peers.py publisher PORT START COUNT GATEWAYS TAG
python bench/ingest_peers.py naive PORT STORE_SETTINGS_JSON
"""

from __future__ import annotations

import signal
import socket
import struct
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from collector.backends import open_store  # noqa: E402
from collector.store import StoreSettings  # noqa: E402
from devices.envelope import envelope  # noqa: E402
from devices.reading import Kind, Reading  # noqa: E402
from wire import topics  # noqa: E402
from wire.reading import DeviceRef, WireReading  # noqa: E402

T0 = datetime(2026, 1, 1, tzinfo=UTC)


def payloads(start: int, count: int, gateways: int, tag: str) -> list[tuple[str, bytes]]:
    """Readings ``start``..``start+count``; reading n comes from gateway n % gateways."""
    out = []
    for n in range(start, start + count):
        gateway = f"gw-{n % gateways:04d}"
        measured = T0 + timedelta(seconds=n)
        reading = Reading(
            kind=Kind.BLOOD_PRESSURE,
            metrics={"systolic_mmhg": 120.0 + n % 40, "diastolic_mmhg": 80.0, "pulse_bpm": 60.0},
            time=measured.replace(tzinfo=None),
            sequence=n,
            user_index=1,
        )
        wire = envelope(
            reading,
            patient=f"p-{tag}-{n % gateways:04d}",
            gateway=gateway,
            device=DeviceRef(address=f"AA:{tag}:{n % gateways:06d}", driver="omron_bp"),
            time=measured,
            received=measured + timedelta(seconds=2),
        )
        out.append((topics.reading(gateway, "blood_pressure"), wire.encode()))
    return out


def _varint(n: int) -> bytes:
    out = bytearray()
    while True:
        byte, n = n & 0x7F, n >> 7
        out.append(byte | (0x80 if n else 0))
        if not n:
            return bytes(out)


def _packet(header: int, body: bytes) -> bytes:
    return bytes([header]) + _varint(len(body)) + body


def _utf8(text: str) -> bytes:
    raw = text.encode()
    return struct.pack("!H", len(raw)) + raw


def _packets(data: bytes) -> tuple[list[tuple[int, bytes]], bytes]:
    """Whole MQTT packets at the start of ``data`` (header, body), and the rest."""
    out, pos = [], 0
    while pos + 2 <= len(data):
        length, shift, i = 0, 0, pos + 1
        while i < len(data):
            byte = data[i]
            i += 1
            length |= (byte & 0x7F) << shift
            shift += 7
            if not byte & 0x80:
                break
        else:
            break
        if i + length > len(data):
            break
        out.append((data[pos], data[i : i + length]))
        pos = i + length
    return out, data[pos:]


def publisher(port: int, start: int, count: int, gateways: int, tag: str) -> None:
    """Pre-encode, say "ready", wait for "go", publish QoS 1, wait for every PUBACK.

    A minimal MQTT 5 client on a plain socket, not paho: paho's per-message
    bookkeeping cost ~65 us of CPU per reading here, more than the collector,
    and on a 2-core machine the publishers' CPU is taken from the collector.
    Gateways are separate machines; this keeps the bench measuring the
    collector. Every PUBLISH is QoS 1 and every PUBACK is read and checked.
    """
    messages = payloads(start, count, gateways, tag)
    window = 1000  # unacknowledged PUBLISHes at once (message ids recycle far behind it)
    packets = [
        _packet(0x32, _utf8(topic) + struct.pack("!H", n % 65535 + 1) + b"\x00" + payload)
        for n, (topic, payload) in enumerate(messages)
    ]
    sock = socket.create_connection(("127.0.0.1", port))
    connect = b"\x00\x04MQTT\x05\x02" + struct.pack("!H", 60) + b"\x00"
    sock.sendall(_packet(0x10, connect + _utf8(f"bench-{tag}-{start}")))
    pending = b""
    while True:
        got, pending = _packets(pending + sock.recv(65536))
        if got:
            break
    if got[0][0] != 0x20 or got[0][1][1] != 0:
        raise RuntimeError(f"broker refused the publisher: {got[0]!r}")
    print("ready", flush=True)
    sys.stdin.readline()
    sent = acked = 0
    while acked < count:
        if sent < count and sent - acked < window // 2:
            upto = min(count, acked + window)
            sock.sendall(b"".join(packets[sent:upto]))
            sent = upto
        data = sock.recv(65536)
        if not data:
            raise RuntimeError("the broker closed the publisher's connection")
        got, pending = _packets(pending + data)
        for header, body in got:
            if header & 0xF0 == 0x40:
                if len(body) > 2 and body[2] >= 0x80:
                    raise RuntimeError(f"the broker refused a reading (reason {body[2]:#x})")
                acked += 1
    sock.sendall(_packet(0xE0, b""))
    sock.close()


def naive(port: int, settings_json: str) -> None:
    """One reading, one write: auto-acked MQTT, a store call per message."""
    import paho.mqtt.client as paho
    from paho.mqtt.enums import CallbackAPIVersion, MQTTProtocolVersion

    store = open_store(StoreSettings.model_validate_json(settings_json))
    client = paho.Client(
        CallbackAPIVersion.VERSION2, client_id="naive", protocol=MQTTProtocolVersion.MQTTv5
    )
    client.on_message = lambda _c, _u, msg: store.write_batch(
        [WireReading.decode(bytes(msg.payload))]
    )
    client.on_subscribe = lambda *_a: print("ready", flush=True)
    client.connect("127.0.0.1", port)
    client.subscribe(topics.ALL_READINGS, qos=1)
    signal.signal(signal.SIGTERM, lambda *_a: client.disconnect())
    client.loop_forever()


def main() -> None:
    if sys.argv[1] == "publisher":
        port, start, count, gateways = (int(x) for x in sys.argv[2:6])
        publisher(port, start, count, gateways, sys.argv[6])
    elif sys.argv[1] == "naive":
        naive(int(sys.argv[2]), sys.argv[3])
    else:
        raise SystemExit(f"unknown role {sys.argv[1]!r}: publisher or naive")


if __name__ == "__main__":
    main()
