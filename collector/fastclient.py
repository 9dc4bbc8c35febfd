"""A paho client for a consumer of many small messages: fewer syscalls per message.

Measured under bench/ingest.py, stock paho spent about half of the collector's
CPU per reading on its own bookkeeping: three ``recv`` calls per packet (the
command byte, the length bytes one at a time, then the body), a ``select``
per packet, and for each manual PUBACK a wake-up byte on its socket pair and
its own ``send``. Here:

- the socket is read 64 KiB at a time into a buffer; ``pending()`` (the hook
  paho already uses for TLS) reports a whole packet waiting in the buffer, so
  paho reads it without a ``select``, and `loop_read` goes on reading while
  whole packets wait;
- a PUBLISH at QoS 0 or 1 goes straight to `on_publish_packet` as (message
  id, QoS, topic, payload): no `MQTTMessage`, no MQTT 5 `Properties` object,
  no topic-filter matching per message (the collector has one subscription);
- `ack_many` queues the PUBACKs of a batch as one write.

Nothing about delivery changes: the same packets go out, in the same order,
after the same calls.
"""

from __future__ import annotations

import struct
import time
from collections.abc import Callable
from typing import Any

import paho.mqtt.client as paho
from paho.mqtt.enums import MQTTErrorCode, MQTTProtocolVersion
from paho.mqtt.exception import MalformedPacket

#: (message id, QoS, topic, payload) of one PUBLISH.
PacketHandler = Callable[[int, int, str, bytes], None]

_CHUNK = 65536
_PUBACK = struct.Struct("!BBH")
_U16 = struct.Struct("!H")
_PUBACK_CMD = 0x40
#: Packets read in one `loop_read` before paho's loop gets to write and ping.
_READ_BURST = 2000


class BufferedSocket:
    """A socket read through a buffer; everything else goes to the socket itself."""

    __slots__ = ("_buf", "_pos", "_sock")

    def __init__(self, sock: Any) -> None:
        self._sock = sock
        self._buf = b""
        self._pos = 0

    def recv(self, size: int) -> bytes:
        pos = self._pos
        if pos >= len(self._buf):
            data: bytes = self._sock.recv(max(size, _CHUNK))  # BlockingIOError passes up
            if len(data) <= size:
                return data
            self._buf, pos = data, 0
        chunk = self._buf[pos : pos + size]
        self._pos = pos + len(chunk)
        return chunk

    def pending(self) -> int:
        """Buffered bytes when they hold a whole MQTT packet, else what TLS holds.

        A partial packet must not count: paho would spin on a zero-timeout
        ``select`` until the rest arrives. paho reads the buffer only in whole
        packets or until the socket would block, so the buffer starts at a packet.
        """
        buf, pos = self._buf, self._pos
        end = len(buf)
        if end - pos >= 2:
            length, shift, i = 0, 0, pos + 1
            while i < end and i - pos <= 4:
                byte = buf[i]
                length |= (byte & 0x7F) << shift
                shift += 7
                i += 1
                if not byte & 0x80:
                    if end - i >= length:
                        return end - pos
                    break
            else:
                if i - pos > 4:  # malformed length: let paho read it and fail
                    return end - pos
        inner = getattr(self._sock, "pending", None)
        return int(inner()) if inner is not None else 0

    def take_packet(self) -> tuple[int, bytes] | None:
        """(first byte, body) of the whole packet at the head of the buffer, or None."""
        buf, pos = self._buf, self._pos
        end = len(buf)
        length, shift, i = 0, 0, pos + 1
        while i < end and i - pos <= 4:
            byte = buf[i]
            length |= (byte & 0x7F) << shift
            shift += 7
            i += 1
            if not byte & 0x80:
                if end - i < length:
                    return None
                self._pos = i + length
                return buf[pos], buf[i : i + length]
        return None

    def __getattr__(self, name: str) -> Any:
        return getattr(self._sock, name)


def _publish_parts(header: int, packet: bytes | bytearray, v5: bool) -> tuple[int, int, str, bytes]:
    """(mid, qos, topic, payload) of a PUBLISH packet (after its fixed header)."""
    qos = (header & 0x06) >> 1
    try:
        (size,) = _U16.unpack_from(packet, 0)
        pos = 2 + size
        if pos > len(packet):
            raise MalformedPacket("topic longer than the packet")
        # an undecodable topic is refused with the others (dead letter), not here
        topic = packet[2:pos].decode("utf-8", "replace")
        mid = 0
        if qos:
            (mid,) = _U16.unpack_from(packet, pos)
            pos += 2
        if v5:  # skip the properties: their length is a variable byte integer
            length = shift = 0
            while True:
                byte = packet[pos]
                pos += 1
                length |= (byte & 0x7F) << shift
                shift += 7
                if not byte & 0x80:
                    break
                if shift > 21:
                    raise MalformedPacket("properties length")
            pos += length
            if pos > len(packet):
                raise MalformedPacket("properties longer than the packet")
    except (struct.error, IndexError) as err:
        raise MalformedPacket(str(err)) from err
    return mid, qos, topic, bytes(packet[pos:])


class BatchingClient(paho.Client):
    """`paho.Client` reading through `BufferedSocket`, with `on_publish_packet`
    (used instead of ``on_message`` when set) and `ack_many`."""

    on_publish_packet: PacketHandler | None = None

    def _handle_publish(self) -> MQTTErrorCode:
        header = self._in_packet["command"]
        handler = self.on_publish_packet
        if handler is None or header & 0x06 == 0x04:  # QoS 2: paho's handshake
            return super()._handle_publish()
        return self._deliver(handler, header, self._in_packet["packet"])

    def _deliver(
        self, handler: PacketHandler, header: int, packet: bytes | bytearray
    ) -> MQTTErrorCode:
        """One PUBLISH at QoS 0 or 1 to ``handler`` (the caller's `on_publish_packet`)."""
        v5 = self._protocol == MQTTProtocolVersion.MQTTv5
        mid, qos, topic, payload = _publish_parts(header, packet, v5)
        if not topic and not v5:
            raise MalformedPacket("topic can't be empty in MQTTv3")
        handler(mid, qos, topic, payload)
        if qos == 1 and not self._manual_ack:
            return self._send_puback(mid)
        return MQTTErrorCode.MQTT_ERR_SUCCESS

    def _create_socket(self) -> Any:
        sock = super()._create_socket()
        if self._transport == "websockets":  # its own framing reads whole frames
            return sock
        return BufferedSocket(sock)

    def _packet_read(self) -> MQTTErrorCode:
        """A whole packet waiting in the buffer is handled at once; anything else
        (a packet split across reads, nothing buffered) by paho's byte-wise reader."""
        sock = self._sock
        if not isinstance(sock, BufferedSocket) or self._in_packet["command"] != 0:
            return super()._packet_read()
        whole = sock.take_packet()
        if whole is None:
            return super()._packet_read()
        command, body = whole
        handler = self.on_publish_packet
        if command & 0xF6 == 0x32 and handler is not None:
            # a QoS 1 PUBLISH, the collector's every message: no per-packet state to build
            try:
                rc = self._deliver(handler, command, body)
            except MalformedPacket as exc:
                self._easy_log(paho.MQTT_LOG_DEBUG, "Received malformed packet: %s", exc)
                rc = MQTTErrorCode.MQTT_ERR_PROTOCOL
            with self._msgtime_mutex:
                self._last_bytes_received = time.monotonic()
            return rc
        self._in_packet = {
            "command": command,
            "have_remaining": 1,
            "remaining_count": [],
            "remaining_mult": 1,
            "remaining_length": len(body),
            "packet": body,  # type: ignore[typeddict-item]  # paho decodes bytes too
            "to_process": 0,
            "pos": 0,
        }
        try:
            rc = self._packet_handle()
        except MalformedPacket as exc:
            self._easy_log(paho.MQTT_LOG_DEBUG, "Received malformed packet: %s", exc)
            rc = MQTTErrorCode.MQTT_ERR_PROTOCOL
        self._in_packet = {
            "command": 0,
            "have_remaining": 0,
            "remaining_count": [],
            "remaining_mult": 1,
            "remaining_length": 0,
            "packet": bytearray(b""),
            "to_process": 0,
            "pos": 0,
        }
        with self._msgtime_mutex:
            self._last_bytes_received = time.monotonic()
        return rc

    def loop_read(self, max_packets: int = 1) -> MQTTErrorCode:
        rc = super().loop_read(max_packets)
        for _ in range(_READ_BURST):
            sock = self._sock
            if rc != MQTTErrorCode.MQTT_ERR_SUCCESS or not isinstance(sock, BufferedSocket):
                break
            if not sock.pending():
                break
            rc = super().loop_read(max_packets)
        return rc

    def ack_many(self, mids: list[int]) -> None:
        """PUBACK QoS 1 messages ``mids`` (manual acks) in one write, in order."""
        if not mids or not self._manual_ack:
            return
        packet = b"".join([_PUBACK.pack(_PUBACK_CMD, 2, mid) for mid in mids])
        self._easy_log(paho.MQTT_LOG_DEBUG, "Sending %d PUBACKs", len(mids))
        self._packet_queue(_PUBACK_CMD, packet, 0, 0)
