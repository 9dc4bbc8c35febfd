"""FHIR R4 Observations: LOINC and UCUM, deterministic ids, errors as data-absent, valid R4."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from fastapi.testclient import TestClient
from fhir.resources.R4B.bundle import Bundle
from fhir.resources.R4B.observation import Observation

from devices.reading import Kind
from tests.web.helpers import audit
from tests.web.world import NOW, World, reading
from web.fhir import observations
from web.fhir_search import SearchError, parse_code, parse_dates

AT = datetime(2026, 11, 1, 8, 0, tzinfo=UTC)


def _codes(resource: dict[str, object]) -> list[str]:
    return [c["code"] for c in resource["code"]["coding"]]  # type: ignore[index]


def test_blood_pressure_is_a_panel_and_a_heart_rate_in_ucum() -> None:
    bp = reading(
        "p-1",
        Kind.BLOOD_PRESSURE,
        AT,
        {"systolic_mmhg": 142.0, "diastolic_mmhg": 91.0, "pulse_bpm": 77.0},
    )
    panel, rate = observations(bp)
    Observation.model_validate(panel)
    Observation.model_validate(rate)
    assert _codes(panel) == ["85354-9"]
    components = {c["code"]["coding"][0]["code"]: c["valueQuantity"] for c in panel["component"]}
    assert components["8480-6"] == {
        "value": 142.0,
        "unit": "mmHg",
        "system": "http://unitsofmeasure.org",
        "code": "mm[Hg]",
    }
    assert components["8462-4"]["value"] == 91.0
    assert _codes(rate) == ["8867-4"]
    assert rate["valueQuantity"]["code"] == "/min"
    assert "http://hl7.org/fhir/StructureDefinition/vitalsigns" in panel["meta"]["profile"]
    assert panel["subject"]["reference"] == "Patient/p-1"


def test_weight_and_glucose_codes_and_units() -> None:
    weight = observations(reading("p-1", Kind.WEIGHT, AT, {"weight_kg": 81.4}))[0]
    glucose = observations(reading("p-1", Kind.GLUCOSE, AT, {"glucose_mmol_l": 5.4}))[0]
    for resource in (weight, glucose):
        Observation.model_validate(resource)
    assert _codes(weight) == ["29463-7"]
    assert weight["valueQuantity"]["code"] == "kg"
    assert _codes(glucose) == ["14743-9"]
    assert glucose["valueQuantity"] == {
        "value": 5.4,
        "unit": "mmol/L",
        "system": "http://unitsofmeasure.org",
        "code": "mmol/L",
    }


@pytest.mark.parametrize(
    ("metrics", "flags", "reason"),
    [
        ({"glucose_mmol_l": None}, [], "error"),
        ({"glucose_mmol_l": 3.1}, ["sensor_malfunction"], "error"),
        ({"glucose_mmol_l": 33.3}, ["result_too_high"], "positive-infinity"),
        ({"glucose_mmol_l": 1.1}, ["result_too_low"], "negative-infinity"),
    ],
)
def test_device_errors_are_data_absent_never_numbers(
    metrics: dict[str, float | None], flags: list[str], reason: str
) -> None:
    resource = observations(reading("p-1", Kind.GLUCOSE, AT, metrics, flags))[0]
    Observation.model_validate(resource)
    assert "valueQuantity" not in resource
    assert resource["dataAbsentReason"]["coding"][0]["code"] == reason


def test_blood_pressure_component_without_value_is_data_absent() -> None:
    bp = reading("p-1", Kind.BLOOD_PRESSURE, AT, {"systolic_mmhg": None, "diastolic_mmhg": 80.0})
    (panel,) = observations(bp)
    Observation.model_validate(panel)
    systolic = panel["component"][0]
    assert "valueQuantity" not in systolic
    assert systolic["dataAbsentReason"]["coding"][0]["code"] == "error"


def test_same_reading_same_resource_so_reexport_never_duplicates() -> None:
    one = reading("p-1", Kind.WEIGHT, AT, {"weight_kg": 80.0})
    again = one.model_copy()
    assert observations(one) == observations(again)
    other = reading("p-1", Kind.WEIGHT, AT, {"weight_kg": 80.0})  # another measurement
    assert observations(one)[0]["identifier"] != observations(other)[0]["identifier"]


def test_search_by_patient_code_and_date_returns_a_valid_searchset(
    nurse: TestClient, world: World
) -> None:
    response = nurse.get(
        "/api/v1/fhir/Observation",
        params=[
            ("patient", "p-red"),
            ("code", "http://loinc.org|14743-9"),
            ("date", "ge2026-11-19"),
        ],
    )
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/fhir+json")
    bundle = Bundle.model_validate(response.json())
    assert bundle.type == "searchset"
    assert bundle.total == len(bundle.entry or []) > 0
    for entry in bundle.entry or []:
        resource = entry.resource.model_dump(mode="json")  # type: ignore[union-attr]
        assert _codes(resource) == ["14743-9"]
        assert resource["effectiveDateTime"] >= "2026-11-19"
    values = [
        e.resource.model_dump(mode="json")["valueQuantity"]["value"]  # type: ignore[union-attr]
        for e in bundle.entry or []
    ]
    assert 2.6 in values


def test_search_by_systolic_finds_the_panels_only(nurse: TestClient) -> None:
    response = nurse.get(
        "/api/v1/fhir/Observation",
        params={"patient": "Patient/p-amber", "code": "8480-6", "date": "eq2026-11-19"},
    )
    bundle = response.json()
    assert bundle["total"] == 2  # two measurements on that day
    assert all(_codes(e["resource"]) == ["85354-9"] for e in bundle["entry"])


def test_search_without_code_returns_only_the_shared_kinds(nurse: TestClient) -> None:
    bundle = nurse.get(
        "/api/v1/fhir/Observation", params={"patient": "p-green", "date": "ge2026-11-18"}
    ).json()
    assert bundle["total"] > 0
    assert {c for e in bundle["entry"] for c in _codes(e["resource"])} == {"29463-7"}


def test_search_of_an_unshared_code_is_403_and_audited(nurse: TestClient, world: World) -> None:
    response = nurse.get(
        "/api/v1/fhir/Observation", params={"patient": "p-green", "code": "14743-9"}
    )
    assert response.status_code == 403
    last = audit(world, "p-green")[-1]
    assert (last.result, last.purpose, last.reason) == ("refused", "fhir", "kind_not_granted")


@pytest.mark.parametrize(
    "bad", ["date=xx2026", "date=2026-13-45", "code=http://snomed.info/sct|123"]
)
def test_bad_search_parameters_are_400(nurse: TestClient, bad: str) -> None:
    assert nurse.get(f"/api/v1/fhir/Observation?patient=p-red&{bad}").status_code == 400


def test_patient_export_bundle_is_valid_and_stable(red_patient: TestClient) -> None:
    first = red_patient.get("/me/export.fhir.json")
    second = red_patient.get("/me/export.fhir.json")
    bundle = Bundle.model_validate(first.json())
    assert bundle.type == "collection"
    ids = [e.resource.id for e in bundle.entry or []]  # type: ignore[union-attr]
    assert len(ids) == len(set(ids)) > 100
    assert ids == [e["resource"]["id"] for e in second.json()["entry"]]


def test_team_fhir_export_of_a_patient(nurse: TestClient) -> None:
    bundle = Bundle.model_validate(nurse.get("/api/v1/patients/p-green/fhir").json())
    codes = {c for e in bundle.entry or [] for c in _codes(e.resource.model_dump(mode="json"))}  # type: ignore[union-attr]
    assert codes == {"29463-7"}  # p-green shares weight only


def test_search_parsing() -> None:
    assert parse_code("http://loinc.org|29463-7") == ((Kind.WEIGHT,), "29463-7")
    with pytest.raises(SearchError):
        parse_code("0000-0")
    window = parse_dates(["ge2026-11-01", "lt2026-11-03"])
    assert window.start == datetime(2026, 11, 1, tzinfo=UTC)
    assert window.end == datetime(2026, 11, 3, tzinfo=UTC)
    assert parse_dates(["2026-11"]).end == datetime(2026, 12, 1, tzinfo=UTC)
    assert parse_dates(["gt2026-11-19T08:00:00Z"]).start > NOW.replace(day=19, hour=8)
