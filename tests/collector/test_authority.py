"""A gateway writes only for the patients (and devices) the server says it serves."""

from __future__ import annotations

import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from collector.admission import UNAUTHORISED, Admission, Refused
from collector.authority import DbAuthority
from collector.consumer import Collector, CollectorSettings
from collector.deadletter import DeadLetters
from collector.models import GatewayRefusal
from collector.pairings import unpair
from collector.sqlite_store import SqliteStore
from tests.collector.admit import PAIRED_AT, database_url, pair_all
from tests.collector.factory import T0, wire
from tests.collector.peers import Ears, as_message, publish, running
from tests.support.mosquitto import Mosquitto
from tests.support.waits import wait_until
from veille.db import make_engine, session_factory, transaction

ROOT = Path(__file__).resolve().parents[2]


def _admission(folder: Path, refresh_s: float = 10.0) -> Admission:
    engine = make_engine(database_url(folder))
    return Admission(DbAuthority(session_factory(engine), refresh_s=refresh_s))


def test_a_gateway_cannot_write_into_another_patients_record(tmp_path: Path) -> None:
    """Issue 17, finding 2: the demo's gateway stored a reading for another household."""
    pair_all(database_url(tmp_path), ["gw-01"], ["p-0001"])
    pair_all(database_url(tmp_path), ["gw-02"], ["p-0002"])
    admit = _admission(tmp_path)
    assert admit.admit(*as_message(wire(1))).patient == "p-0001"
    with pytest.raises(Refused, match="gateway gw-01 does not serve patient p-0002") as caught:
        admit.admit(*as_message(wire(2, patient="p-0002")))
    assert caught.value.category == UNAUTHORISED
    with pytest.raises(Refused, match="does not serve"):
        admit.admit(*as_message(wire(3, gateway="gw-03")))  # a gateway nobody set up


def test_a_pairing_to_one_device_refuses_the_others_and_an_ended_one_refuses_all(
    tmp_path: Path,
) -> None:
    url = database_url(tmp_path)
    pair_all(url, ["gw-01"], ["p-0001"], device="c0:ff:ee:00:00:01")
    admit = _admission(tmp_path, refresh_s=0.001)
    admit.admit(*as_message(wire(1, address="C0:FF:EE:00:00:01")))
    with pytest.raises(Refused, match="device C0:FF:EE:00:00:02 is not paired"):
        admit.admit(*as_message(wire(2, address="C0:FF:EE:00:00:02")))
    with transaction(session_factory(make_engine(url))) as session:
        assert unpair(session, "gw-01", "p-0001", now=PAIRED_AT) == 1
    with pytest.raises(Refused, match="unauthorised"):
        admit.admit(*as_message(wire(3, address="C0:FF:EE:00:00:01")))


def test_the_cli_pairs_a_home_and_lists_it(tmp_path: Path) -> None:
    def veille(*args: str) -> str:
        done = subprocess.run(
            [sys.executable, "-m", "veille.cli", "collector", *args, "--data-dir", str(tmp_path)],
            cwd=ROOT,
            capture_output=True,
            text=True,
            check=True,
        )
        return done.stdout

    assert '"patient": "p-0001"' in veille("pair", "gw-01", "p-0001")
    assert '"gateway": "gw-01"' in veille("pairings")
    admit = _admission(tmp_path)
    paired_now = (datetime.now(UTC) - T0) / timedelta(minutes=1)  # measured just now
    assert admit.admit(*as_message(wire(1, minutes=paired_now))).gateway == "gw-01"


@pytest.mark.integration
def test_refused_readings_are_dead_lettered_acked_as_rejected_and_counted(
    mosquitto: Mosquitto, tmp_path: Path
) -> None:
    url = database_url(tmp_path)
    pair_all(url, ["gw-01"], ["p-0001"])
    store = SqliteStore(tmp_path / "readings.sqlite")
    letters = DeadLetters(tmp_path / "deadletter.sqlite")
    settings = CollectorSettings(client_id="authority", batch_size=10, ack_interval_s=0)
    ears = Ears(mosquitto.port)
    mine, others = wire(1), [wire(n, patient="p-0002") for n in range(2, 5)]
    collector = Collector(
        settings, mosquitto.settings(), store, letters, _admission(tmp_path, refresh_s=0.2)
    )
    sessions = session_factory(make_engine(url))

    def counted() -> int:
        with sessions() as session:
            row = session.scalars(select(GatewayRefusal)).first()
            return 0 if row is None else row.count

    with running(collector):
        publish(mosquitto.port, [as_message(r) for r in [mine, *others]])
        wait_until(lambda: len(ears.rejected()) == 3, what="three rejections in the acks")
        wait_until(lambda: counted() == 3, what="the refusals counted for gw-01")
    ears.close()
    assert store.count() == 1
    assert list(store.readings("p-0002")) == []
    assert all("does not serve patient p-0002" in why for why in ears.rejected().values())
    assert {x.reading_id for x in letters.all()} == {r.id for r in others}
    with sessions() as session:
        [row] = session.scalars(select(GatewayRefusal)).all()
    assert (row.gateway_id, row.category, row.reported) == ("gw-01", UNAUTHORISED, 0)
    store.close()
    letters.close()
