"""The demo (embedded amqtt broker) holds against a hostile gateway (issue 17).

Before: one ``[`` x 5,000 on the demo gateway's own topic stopped the whole
demo (its collector died, and the broker with it). Now the demo goes on,
refuses the poison, another household's patient and an infinite weight, and
stores every reading its household produced, once.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path

import paho.mqtt.client as paho
import pytest
from paho.mqtt.enums import CallbackAPIVersion, MQTTProtocolVersion

from demo.broker import USERNAME
from demo.gateway import GATEWAY_ID
from tests.collector.factory import wire
from tests.demo.test_demo import HEART_FAILURE, SPEED, STARTED, assert_stored_once, start_demo
from veille.mqtt import free_port
from wire import topics

pytestmark = pytest.mark.slow


@pytest.fixture
def data_dir(tmp_path: Path) -> Iterator[Path]:
    yield tmp_path / "demo-data"
    while STARTED:
        STARTED.pop().kill()


def _hostile() -> list[tuple[str, bytes]]:
    topic = topics.reading(GATEWAY_ID, "weight")
    other_home = wire(1, gateway=GATEWAY_ID, patient="p-0ther-h0me")
    infinite = json.loads((wire(2, gateway=GATEWAY_ID, patient=HEART_FAILURE)).encode())
    infinite["kind"], infinite["metrics"] = "weight", {"weight_kg": 1.0}
    text = json.dumps(infinite).replace('"weight_kg": 1.0', '"weight_kg": Infinity')
    return [
        (topic, b"[" * 5000),
        (topics.reading(GATEWAY_ID, other_home.kind.value), other_home.encode()),
        (topic, text.encode()),
        (topic, b"\xff\xfe" * 100),
    ]


def test_a_hostile_gateway_does_not_stop_the_demo_nor_reach_the_store(data_dir: Path) -> None:
    demo = start_demo(data_dir, free_port(), "--duration", "45", "--speed", SPEED, "--reset")
    line = demo.wait_for("MQTT broker", 30)
    found = re.search(r"mqtt://127\.0\.0\.1:(\d+)", line)
    assert found is not None, line
    demo.wait_for("readings published", 40)
    client = paho.Client(CallbackAPIVersion.VERSION2, protocol=MQTTProtocolVersion.MQTTv311)
    client.username_pw_set(USERNAME)
    client.connect("127.0.0.1", int(found.group(1)))
    client.loop_start()
    try:
        for topic, payload in _hostile():
            client.publish(topic, payload, qos=1).wait_for_publish(10)
    finally:
        client.disconnect()
        client.loop_stop()
    code, out, err = demo.finish(90)
    assert code == 0, out + err
    assert "Traceback" not in err, err
    readings = assert_stored_once(data_dir)  # exactly what the household produced
    assert "p-0ther-h0me" not in {r["patient"] for r in readings}
