"""The driver registry: entry points, lazy loading, validation, isolation, specificity, ties."""

from __future__ import annotations

import subprocess
import sys
from importlib.metadata import EntryPoint
from pathlib import Path

import pytest

from devices.conformance import advertisement
from devices.driver import Matcher
from devices.registry import GROUP, Registry
from veille.errors import DriverError

ROOT = Path(__file__).resolve().parents[2]

VENDOR = '''
from devices.driver import AdvertisementDriver, Matcher

class Clone(AdvertisementDriver):
    """Claims exactly what the standard weight-scale driver claims."""
    name = "acme_clone"
    matchers = (Matcher(service_uuid="181D"),)

    def from_advertisement(self, device, advertisement):
        return []

class NoMatchers(AdvertisementDriver):
    name = "acme_blind"

    def from_advertisement(self, device, advertisement):
        return []

class NotADriver:
    name = "acme_object"
'''


def entry(name: str, value: str) -> EntryPoint:
    return EntryPoint(name, value, GROUP)


OURS = [
    entry("weight_scale", "devices.drivers.scales:WeightScaleDriver"),
    entry("body_composition", "devices.drivers.scales:BodyCompositionDriver"),
    entry("glucose", "devices.drivers.glucose:GlucoseDriver"),
]


@pytest.fixture
def vendor_modules(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "acme_vendor.py").write_text(VENDOR)
    (tmp_path / "acme_broken.py").write_text("import a_module_that_does_not_exist\n")
    (tmp_path / "acme_raises.py").write_text("raise RuntimeError('vendor bug at import')\n")
    monkeypatch.syspath_prepend(str(tmp_path))


def test_installed_drivers_include_ours_and_the_plugin_with_their_distribution() -> None:
    registry = Registry()
    where = {r.driver.name: r.distribution.split()[0] for r in registry.drivers}
    assert where == {
        "weight_scale": "veille",
        "body_composition": "veille",
        "blood_pressure": "veille",
        "glucose": "veille",
        "pulse_oximeter": "veille",
        "thermometer": "veille",
        "xiaomi_mi_scale_2": "veille-miscale",
    }
    assert registry.problems == ()


def test_nothing_is_imported_until_first_use(vendor_modules: None) -> None:
    registry = Registry([*OURS, entry("broken", "acme_broken:Driver")])
    assert "acme_broken" not in sys.modules
    assert registry.names() == ["body_composition", "glucose", "weight_scale"]


def test_broken_vendor_drivers_are_reported_and_the_others_still_load(vendor_modules: None) -> None:
    registry = Registry(
        [
            *OURS,
            entry("broken", "acme_broken:Driver"),
            entry("raises", "acme_raises:Driver"),
            entry("blind", "acme_vendor:NoMatchers"),
            entry("object", "acme_vendor:NotADriver"),
            entry("missing", "acme_vendor:Missing"),
        ]
    )
    assert registry.names() == ["body_composition", "glucose", "weight_scale"]
    problems = {p.entry_point: p.error for p in registry.problems}
    assert set(problems) == {"broken", "raises", "blind", "object", "missing"}
    assert "ModuleNotFoundError" in problems["broken"]
    assert "vendor bug at import" in problems["raises"]
    assert "no Matcher" in problems["blind"]
    assert "not a devices.driver.Driver" in problems["object"]
    assert "AttributeError" in problems["missing"]


def test_most_specific_matcher_wins() -> None:
    registry = Registry([*OURS, entry("mi", "veille_miscale.driver:MiScale2Driver")])
    mi_scale = advertisement({"181B": bytes(13)}, local_name="MIBFS", service_uuids=["181B"])
    standard = advertisement(local_name="BCS-1", service_uuids=["181B"])
    unknown = advertisement(local_name="Toothbrush", service_uuids=["FE95"])
    chosen = registry.match("MIBFS", mi_scale)
    assert chosen is not None
    assert chosen.driver.name == "xiaomi_mi_scale_2"
    chosen = registry.match("BCS-1", standard)
    assert chosen is not None
    assert chosen.driver.name == "body_composition"
    assert registry.match("Toothbrush", unknown) is None
    # a scale listing both scale services: the matcher naming both outranks either alone
    both = advertisement(local_name="Body", service_uuids=["181D", "181B"])
    chosen = registry.match("Body", both)
    assert chosen is not None
    assert chosen.driver.name == "body_composition"


def test_an_exact_tie_is_reported_at_registration_and_refused_at_match(
    vendor_modules: None,
) -> None:
    registry = Registry([*OURS, entry("clone", "acme_vendor:Clone")])
    (problem,) = registry.problems
    assert "weight_scale and acme_clone" in problem.error
    assert "service 181D" in problem.error
    with pytest.raises(DriverError, match="2 drivers claim this device equally"):
        registry.match("Scale", advertisement(service_uuids=["181D"]))


def test_same_name_twice_is_refused() -> None:
    registry = Registry([*OURS, entry("again", "devices.drivers.glucose:GlucoseDriver")])
    assert registry.names().count("glucose") == 1
    (problem,) = registry.problems
    assert "already registered" in problem.error


def test_matcher_needs_a_key_and_service_uuids_normalise() -> None:
    with pytest.raises(DriverError, match="at least one key"):
        Matcher()
    assert Matcher(service_uuid="181d") == Matcher(
        service_uuid="0000181D-0000-1000-8000-00805F9B34FB"
    )
    assert Matcher(service_uuid="181D", local_name="^Acme").specificity() == 2
    # several services: all must be advertised, each counts, the order does not matter
    both = Matcher(service_uuid=("181D", "181b"))
    assert both == Matcher(service_uuid=("181B", "181D"))
    assert both.specificity() == 2
    assert Matcher(service_uuid=("181D", "181d")) == Matcher(service_uuid="181D")
    assert both.matches(None, advertisement(service_uuids=["181B", "181D", "180F"]))
    assert not both.matches(None, advertisement(service_uuids=["181D"]))
    with pytest.raises(DriverError, match="at least one key"):
        Matcher(service_uuid=())
    # service UUID and service-data UUID are different keys
    data_only = advertisement({"181B": b"\x00"})
    assert Matcher(service_data_uuid="181B").matches(None, data_only)
    assert not Matcher(service_uuid="181B").matches(None, data_only)


def test_veille_devices_list_shows_drivers_claims_and_packages() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "veille.cli", "devices", "list"],
        capture_output=True,
        text=True,
        cwd=ROOT,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    lines = {line.split()[0]: line for line in done.stdout.splitlines()}
    assert set(lines) == {
        "blood_pressure",
        "body_composition",
        "glucose",
        "pulse_oximeter",
        "thermometer",
        "weight_scale",
        "xiaomi_mi_scale_2",
    }
    assert "service 1808" in lines["glucose"]
    assert "service 1822" in lines["pulse_oximeter"]
    assert "[2A1C, 2A1E]" in lines["thermometer"]
    assert "from veille 0.1.0" in lines["glucose"]
    assert "service 181B; services 181B & 181D" in lines["body_composition"]
    assert "[2A9D, 2A9C]" in lines["weight_scale"]  # body composition too, when the scale has it
    assert "service data 181B + name /MIBFS/" in lines["xiaomi_mi_scale_2"]
    assert "from veille-miscale 0.1.0" in lines["xiaomi_mi_scale_2"]
