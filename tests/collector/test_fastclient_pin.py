"""`collector.fastclient` overrides private paho methods: a paho release that changes them
fails here first, before it can change what the collector receives or acknowledges.

The fast client was written and measured (bench/ingest.py --client both) against the paho
sources pinned below. When this fails: read the changed methods against
`collector.fastclient`, re-run the bench and the tests of tests/collector, then update
`PINNED` — or set ``[collector] client = "paho"`` (stock paho, slower, same delivery).
"""

from __future__ import annotations

import hashlib
import inspect
import textwrap

import paho.mqtt.client as paho
import pytest
from paho.mqtt import __version__ as paho_version
from paho.mqtt.enums import CallbackAPIVersion, MQTTProtocolVersion

from collector.fastclient import BatchingClient

#: The paho version the fast client was last checked against.
PINNED_VERSION = "2.2.0"

#: sha256 (first 16 hex digits) of each paho method the fast client overrides or calls.
PINNED = {
    # overridden
    "_handle_publish": "7c18751dad1fddfc",
    "_packet_read": "b4c42393b324815b",
    "_create_socket": "7d38a334fe485947",
    "loop_read": "46ec901d4d825b8e",
    # called with paho's own private arguments
    "_send_puback": "3b2c75fb8cbda63f",
    "_packet_queue": "2c27ac7e534e87cd",
    "_easy_log": "c1716d65144b36d7",
    "_packet_handle": "257b210274dfc6f5",
}

#: Private attributes of a paho client the fast client reads or writes.
ATTRIBUTES = (
    "_in_packet",
    "_last_bytes_received",
    "_manual_ack",
    "_msgtime_mutex",
    "_protocol",
    "_sock",
    "_transport",
)


def _digest(name: str) -> str:
    source = textwrap.dedent(inspect.getsource(getattr(paho.Client, name)))
    return hashlib.sha256(source.encode()).hexdigest()[:16]


@pytest.mark.parametrize("name", sorted(PINNED))
def test_the_paho_methods_the_fast_client_relies_on_are_those_it_was_written_for(
    name: str,
) -> None:
    assert _digest(name) == PINNED[name], (
        f"paho-mqtt {paho_version} changed Client.{name} (pinned at "
        f"{PINNED_VERSION}): see this module's docstring"
    )


def test_the_fast_client_overrides_only_pinned_methods() -> None:
    ours = {
        name
        for name, value in vars(BatchingClient).items()
        if callable(value) and hasattr(paho.Client, name)
    }
    assert ours <= set(PINNED), f"pin these too: {sorted(ours - set(PINNED))}"


def test_a_paho_client_still_has_the_private_state_the_fast_client_uses() -> None:
    client = BatchingClient(CallbackAPIVersion.VERSION2, protocol=MQTTProtocolVersion.MQTTv5)
    missing = [name for name in ATTRIBUTES if not hasattr(client, name)]
    assert not missing, f"paho-mqtt {paho_version} has no {missing}"
    assert set(client._in_packet) >= {"command", "packet", "remaining_length", "pos"}
