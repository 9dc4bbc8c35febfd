"""Oxygen saturation, the oximeter's pulse and body temperature as valid FHIR R4."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from fastapi.testclient import TestClient
from fhir.resources.R4B.bundle import Bundle
from fhir.resources.R4B.observation import Observation

from devices.reading import Kind
from sharing.grants import create_grant
from tests.web.helpers import audit
from tests.web.world import NOW, World, reading
from web.fhir import observations

AT = datetime(2026, 11, 1, 8, 0, tzinfo=UTC)
UCUM = "http://unitsofmeasure.org"


def _codes(resource: dict[str, object]) -> list[str]:
    return [c["code"] for c in resource["code"]["coding"]]  # type: ignore[index]


@pytest.mark.parametrize("kind", [Kind.SPO2, Kind.SPO2_CONTINUOUS])
def test_saturation_by_pulse_oximetry_and_the_pulse_beside_it(kind: Kind) -> None:
    sat, rate = observations(reading("p-1", kind, AT, {"spo2_pct": 94.0, "pulse_bpm": 81.0}))
    for resource in (sat, rate):
        Observation.model_validate(resource)
    assert _codes(sat) == ["59408-5", "2708-6"]  # the R4 oxygensat profile wants 2708-6
    assert sat["valueQuantity"] == {"value": 94.0, "unit": "%", "system": UCUM, "code": "%"}
    assert sat["meta"]["profile"][-1].endswith("/oxygensat")
    assert _codes(rate) == ["8867-4"]
    assert rate["valueQuantity"]["code"] == "/min"
    assert sat["id"] != rate["id"]


def test_body_temperature_in_celsius_with_its_site() -> None:
    metrics: dict[str, float | None] = {"temperature_c": 38.4}
    temp = reading("p-1", Kind.TEMPERATURE, AT, metrics).model_copy(
        update={"attributes": {"site": "gastro_intestinal_tract"}}
    )
    [obs] = observations(temp)
    Observation.model_validate(obs)
    assert _codes(obs) == ["8310-5"]
    assert obs["valueQuantity"] == {"value": 38.4, "unit": "°C", "system": UCUM, "code": "Cel"}
    assert obs["bodySite"] == {"text": "gastro intestinal tract"}
    assert obs["meta"]["profile"][-1].endswith("/bodytemp")


@pytest.mark.parametrize(
    ("flags", "expected"),
    [
        (["sensor_displaced"], "error"),
        (["poor_signal_detected", "low_perfusion_detected"], "error"),
        (["invalid_measurement_detected"], "error"),
        (["validated_data"], None),
    ],
)
def test_a_reading_the_oximeter_distrusts_is_data_absent(
    flags: list[str], expected: str | None
) -> None:
    sat = observations(reading("p-1", Kind.SPO2, AT, {"spo2_pct": 71.0}, flags))[0]
    Observation.model_validate(sat)
    if expected is None:
        assert sat["valueQuantity"]["value"] == 71.0
    else:
        assert "valueQuantity" not in sat
        assert sat["dataAbsentReason"]["coding"][0]["code"] == expected


def test_demo_data_and_a_running_temperature_are_not_exported() -> None:
    demo = reading("p-1", Kind.SPO2, AT, {"spo2_pct": 98.0}, ["data_for_demonstration"])
    running = reading("p-1", Kind.INTERMEDIATE_TEMPERATURE, AT, {"temperature_c": 36.1})
    assert observations(demo) == []
    assert observations(running) == []


def _share_saturation(world: World) -> None:
    with world.sessions() as s:
        create_grant(
            s,
            "p-amber",
            kinds=[Kind.SPO2],
            alerts=True,
            team_id=world.team,
            ends_at=NOW + timedelta(days=30),
            now=NOW - timedelta(days=2),
        )
        s.commit()
    world.store.write_batch(
        [
            reading(
                "p-amber",
                Kind.SPO2,
                NOW - timedelta(hours=3),
                {"spo2_pct": 91.0, "pulse_bpm": 88.0},
            ),
            reading("p-amber", Kind.SPO2_CONTINUOUS, NOW - timedelta(hours=8), {"spo2_pct": 89.0}),
            reading("p-amber", Kind.TEMPERATURE, NOW - timedelta(hours=2), {"temperature_c": 38.6}),
        ]
    )


def test_search_saturation_and_pulse_of_a_patient_who_shares_them(
    nurse: TestClient, world: World
) -> None:
    _share_saturation(world)
    found = nurse.get("/api/v1/fhir/Observation", params={"patient": "p-amber", "code": "59408-5"})
    assert found.status_code == 200
    bundle = Bundle.model_validate(found.json())
    values = sorted(
        e.resource.model_dump(mode="json")["valueQuantity"]["value"]  # type: ignore[union-attr]
        for e in bundle.entry or []
    )
    assert values == [89.0, 91.0]  # the spot check and the night's reading
    pulses = nurse.get(
        "/api/v1/fhir/Observation",
        params={"patient": "p-amber", "code": "8867-4", "date": "ge2026-11-20"},
    ).json()
    devices = {e["resource"]["id"].rsplit("-", 1)[-1] for e in pulses["entry"]}
    assert devices == {"hr"}
    assert 88.0 in [e["resource"]["valueQuantity"]["value"] for e in pulses["entry"]]
    # temperature is not shared: refused, and the refusal is in the patient's audit
    refused = nurse.get("/api/v1/fhir/Observation", params={"patient": "p-amber", "code": "8310-5"})
    assert refused.status_code == 403
    assert audit(world, "p-amber")[-1].reason == "kind_not_granted"


def test_a_code_none_of_whose_kinds_is_shared_is_refused(nurse: TestClient, world: World) -> None:
    """p-green shares weight only: the pulse (cuff or oximeter) is refused, as one."""
    response = nurse.get(
        "/api/v1/fhir/Observation", params={"patient": "p-green", "code": "8867-4"}
    )
    assert response.status_code == 403
    last = audit(world, "p-green")[-1]
    assert (last.result, last.purpose, last.reason) == ("refused", "fhir", "kind_not_granted")
